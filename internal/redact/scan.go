package redact

import "strings"

// kwKind tells which detector a keyword wakes up.
type kwKind uint8

const (
	kwField       kwKind = iota // a secret field name
	kwPrivate                   // a field name, or a PEM PRIVATE KEY label
	kwBearer                    // bearer <token>
	kwAWSKeyID                  // AKIA or ASIA
	kwJWT                       // eyJ
	kwURL                       // ://
	kwLastApplied               // the last-applied-configuration annotation
	kwLiteral                   // a user literal
	kwUser                      // a keyword of a user rule
)

// keyword is a string the prefilter looks for. The scanner checks every pair
// of adjacent bytes against a bitset of anchors, one pair per keyword,
// ignoring case; a keyword whose anchor is an uncommon pair ("sw" in passw)
// keeps the check cheap in ordinary text.
type keyword struct {
	text   string // lower case unless exact
	anchor string // the pair of bytes looked for; empty means the first two
	exact  bool   // match case-sensitively
	kind   kwKind
	arg    int // the user rule of a kwUser keyword
}

var builtinKeywords = []keyword{
	{text: "passw", anchor: "sw"},
	{text: "passphrase", anchor: "hr"},
	{text: "secret", anchor: "cr"},
	{text: "token", anchor: "ok"},
	{text: "apikey", anchor: "ik"},
	{text: "api_key", anchor: "i_"},
	{text: "api-key", anchor: "i-"},
	{text: "accesskey", anchor: "sk"},
	{text: "access_key", anchor: "s_"},
	{text: "access-key", anchor: "s-"},
	{text: "accountkey", anchor: "tk"},
	{text: "account_key", anchor: "_k"},
	{text: "storagekey", anchor: "ek"},
	{text: "storage_key", anchor: "_k"},
	{text: "credential", anchor: "cr"},
	{text: "auth", anchor: "ut"},
	{text: "sig=", anchor: "g="},
	{text: "signature", anchor: "gn"},
	{text: "private", anchor: "iv", kind: kwPrivate},
	{text: "bearer", anchor: "be", kind: kwBearer},
	{text: "AKIA", anchor: "ia", exact: true, kind: kwAWSKeyID},
	{text: "ASIA", anchor: "ia", exact: true, kind: kwAWSKeyID},
	{text: "eyJ", anchor: "yj", exact: true, kind: kwJWT},
	{text: "://", exact: true, kind: kwURL},
	{text: "last-applied-configuration", anchor: "d-", exact: true, kind: kwLastApplied},
}

// fold maps ASCII upper-case letters to lower case, other bytes to themselves.
var fold = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

func pair(a, b byte) uint16 { return uint16(fold[a])<<8 | uint16(fold[b]) }

type hit struct {
	pos int // where the keyword starts
	kw  int // index in scanner.words
}

type entry struct {
	kw      keyword
	offset  int // of the anchor in text
	nameLen int // of the part of text that can be in a field name: "sig" of "sig="
}

type scanner struct {
	bits  [1024]uint64 // one bit per anchor pair
	slots []slot       // open addressing by anchor pair
	words []entry
}

// slot lists the keywords of one anchor pair.
type slot struct {
	pair uint16
	ids  []int
}

func (s *scanner) add(kw keyword) {
	if !kw.exact {
		kw.text = strings.ToLower(kw.text)
	}
	offset := 0
	if kw.anchor != "" {
		offset = strings.Index(strings.ToLower(kw.text), kw.anchor)
	}
	k := pair(kw.text[offset], kw.text[offset+1])
	s.bits[k>>6] |= 1 << (k & 63)
	s.words = append(s.words, entry{kw: kw, offset: offset, nameLen: nameByte.span([]byte(kw.text))})
}

// slotOf returns the index of the slot of the anchor pair k: its own, or
// the empty one where it belongs.
func (s *scanner) slotOf(k uint16) int {
	mask := len(s.slots) - 1
	i := int(uint32(k)*2654435761>>16) & mask
	for s.slots[i].ids != nil && s.slots[i].pair != k {
		i = (i + 1) & mask
	}
	return i
}

// build fills the slots once every keyword is added; they are at most half
// full.
func (s *scanner) build() {
	n := 64
	for n < 2*len(s.words) {
		n *= 2
	}
	s.slots = make([]slot, n)
	for id, e := range s.words {
		k := pair(e.kw.text[e.offset], e.kw.text[e.offset+1])
		sl := &s.slots[s.slotOf(k)]
		sl.pair, sl.ids = k, append(sl.ids, id)
	}
}

// scan appends to hits the keywords found in b, in the order of their anchors.
func (s *scanner) scan(b []byte, hits []hit) []hit {
	if len(b) < 2 || len(s.words) == 0 {
		return hits
	}
	prev := uint(fold[b[0]])
	for i := 1; i < len(b); i++ {
		c := uint(fold[b[i]])
		k := prev<<8 | c
		if s.bits[(k>>6)&1023]&(1<<(k&63)) != 0 {
			hits = s.verify(b, i-1, uint16(k), hits) //nolint:gosec // G115: k is two bytes
		}
		prev = c
	}
	return hits
}

// verify appends the keywords whose anchor k is at b[i:].
func (s *scanner) verify(b []byte, i int, k uint16, hits []hit) []hit {
	for _, id := range s.slots[s.slotOf(k)].ids {
		e := &s.words[id]
		p := i - e.offset
		if p < 0 || p+len(e.kw.text) > len(b) {
			continue
		}
		if e.kw.exact && string(b[p:p+len(e.kw.text)]) != e.kw.text ||
			!e.kw.exact && !hasFold(b[p:], e.kw.text) {
			continue
		}
		hits = append(hits, hit{pos: p, kw: id})
	}
	return hits
}

// hasFold reports whether b starts with lower, ignoring ASCII case.
func hasFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if fold[b[i]] != lower[i] {
			return false
		}
	}
	return true
}
