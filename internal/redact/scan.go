package redact

import (
	"encoding/binary"
	"math/bits"
	"strings"
)

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
	kwKnown                     // the prefix of a provider's token
	kwBase64PEM                 // a base64-encoded PEM block
	kwDSN                       // the @tcp( or @unix( of a Go MySQL DSN
	kwSigV4                     // AWS4-HMAC-SHA256, a SigV4 signature
	kwLiteral                   // a user literal
	kwUser                      // a keyword of a user rule
)

// keyword is a string the prefilter looks for. The scanner checks every pair
// of adjacent bytes against a table of anchors, one pair per keyword,
// ignoring case; a keyword whose anchor is an uncommon pair ("sw" in passw)
// keeps the check cheap in ordinary text.
type keyword struct {
	text   string // lower case unless exact
	anchor string // the pair of bytes that orders hits; empty means the first two
	// look, when set, is the pair looked for instead of the anchor: a rarer
	// one in logs ("g=" of sig= is in every logrus msg=). Hits are still
	// ordered by their anchors.
	look  string
	exact bool // match case-sensitively
	kind  kwKind
	arg   int // the user rule of a kwUser keyword
}

var builtinKeywords = []keyword{
	{text: "passw", anchor: "sw"},
	{text: "pass", anchor: "as"},
	{text: "pwd", anchor: "pw", look: "wd"},
	{text: "_key", anchor: "_k"},
	{text: "-key", anchor: "-k"},
	{text: ".key", anchor: ".k"},
	// camelCase names that end in Key and hold one (snake and kebab case
	// are found by _key, -key, .key; apiKey, secretKey, accessKey and
	// privateKey by their other words).
	{text: "encryptionkey", anchor: "nk"},
	{text: "signingkey", anchor: "gk"},
	{text: "sharedkey", anchor: "dk"},
	{text: "masterKey", anchor: "rk", exact: true}, // rK, as "rk" is in every worker
	{text: "licensekey", anchor: "ek"},
	{text: "cookie", anchor: "ok"},
	{text: "creds", anchor: "cr"},
	{text: "passphrase", anchor: "hr"},
	{text: "secret", anchor: "cr"},
	{text: "token", anchor: "ok"},
	{text: "apikey", anchor: "ik"},
	{text: "api_key", anchor: "i_", look: "_k"},
	{text: "api-key", anchor: "i-", look: "-k"},
	{text: "accesskey", anchor: "sk"},
	{text: "access_key", anchor: "s_", look: "_k"},
	{text: "access-key", anchor: "s-", look: "-k"},
	{text: "accountkey", anchor: "tk"},
	{text: "account_key", anchor: "_k"},
	{text: "storagekey", anchor: "ek"},
	{text: "storage_key", anchor: "_k"},
	{text: "credential", anchor: "cr"},
	{text: "auth", anchor: "ut"},
	{text: "sig=", anchor: "g=", look: "si"},
	{text: "signature", anchor: "gn"},
	{text: "private", anchor: "iv", kind: kwPrivate},
	{text: "bearer", anchor: "be", look: "ea", kind: kwBearer},
	{text: "AKIA", anchor: "ia", look: "ak", exact: true, kind: kwAWSKeyID},
	{text: "ASIA", anchor: "ia", look: "si", exact: true, kind: kwAWSKeyID},
	{text: "eyJ", anchor: "yj", exact: true, kind: kwJWT},
	{text: "://", exact: true, kind: kwURL},
	{text: `:\/\/`, anchor: `\/`, exact: true, kind: kwURL}, // https:\/\/ in JSON that escapes slashes
	{text: "@tcp(", anchor: "@t", exact: true, kind: kwDSN},
	{text: "AWS4-HMAC-SHA256", anchor: "c-", exact: true, kind: kwSigV4},
	{text: "@unix(", anchor: "@u", exact: true, kind: kwDSN},
	{text: base64PEM, anchor: "dj", look: "s1", exact: true, kind: kwBase64PEM},
	{text: "last-applied-configuration", anchor: "d-", look: "gu", exact: true, kind: kwLastApplied},
}

var le = binary.LittleEndian

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
	look    int // of the pair looked for in text
	nameLen int // of the part of text that can be in a field name: "sig" of "sig="
	// head holds the first eight bytes of text (fewer when it is
	// shorter: mask tells which), compared with eight bytes of input at
	// once.
	head, mask uint64
}

type scanner struct {
	reorder bool // some keyword looks for another pair than its anchor
	// raw has an entry per pair of bytes as they appear in the text, the
	// first byte in the low half, that is not 0 for the pairs that fold to
	// the pair looked for of a keyword that ignores case, and for the exact
	// pairs of the others. The scan looks pairs up in one step, without
	// folding. The entry is the index of the pair's slot plus 1, or
	// slotByHash.
	raw   *[1 << 16]uint8
	slots []slot // open addressing by folded pair looked for
	words []entry
}

// slot lists the keywords of one folded pair looked for.
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
	look := offset
	if kw.look != "" {
		look = strings.Index(strings.ToLower(kw.text), kw.look)
	}
	if offset < 0 || look < 0 {
		panic("redact: the anchor or pair looked for of " + kw.text + " is not in it")
	}
	s.reorder = s.reorder || look != offset
	e := entry{kw: kw, offset: offset, look: look, nameLen: nameByte.span([]byte(kw.text))}
	for i := range min(8, len(kw.text)) {
		e.head |= uint64(kw.text[i]) << (8 * i)
		e.mask |= 0xff << (8 * i)
	}
	s.words = append(s.words, e)
}

// slotOf returns the index of the slot of the pair k: its own, or
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
		k := pair(e.kw.text[e.look], e.kw.text[e.look+1])
		sl := &s.slots[s.slotOf(k)]
		sl.pair, sl.ids = k, append(sl.ids, id)
	}
	// A raw pair is set when a keyword's verification could succeed at it:
	// its folded form is the pair looked for of a keyword that ignores
	// case, or it is that of an exact keyword byte for byte.
	s.raw = new([1 << 16]uint8)
	var folded [1024]uint64
	for _, e := range s.words {
		a, b := e.kw.text[e.look], e.kw.text[e.look+1]
		if e.kw.exact {
			s.setRaw(a, b)
			continue
		}
		k := pair(a, b)
		folded[k>>6] |= 1 << (k & 63)
	}
	for x := range 256 {
		for y := range 256 {
			if k := pair(byte(x), byte(y)); folded[k>>6]&(1<<(k&63)) != 0 {
				s.setRaw(byte(x), byte(y))
			}
		}
	}
}

// slotByHash is the entry in scanner.raw of a pair whose slot index does
// not fit in it: slotOf finds the slot.
const slotByHash = 255

func (s *scanner) setRaw(a, b byte) {
	e := uint8(slotByHash)
	if i := s.slotOf(pair(a, b)); i >= 0 && i+1 < slotByHash {
		e = uint8(i + 1) //nolint:gosec // G115: 0 < i+1 < 255
	}
	s.raw[uint16(a)|uint16(b)<<8] = e
}

// scan appends to hits the keywords found in b, in the order of their
// anchors (and of the keywords, for one anchor).
func (s *scanner) scan(b []byte, hits []hit) []hit {
	n := len(hits)
	hits = s.lookFor(b, hits)
	if s.reorder {
		s.order(hits[n:])
	}
	return hits
}

// order sorts hits, found in the order of the pairs looked for, by their
// anchors. They are nearly in order already.
func (s *scanner) order(hits []hit) {
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && s.before(hits[j], hits[j-1]); j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
}

func (s *scanner) before(a, b hit) bool {
	pa, pb := a.pos+s.words[a.kw].offset, b.pos+s.words[b.kw].offset
	return pa < pb || pa == pb && a.kw < b.kw
}

// lookFor appends to hits the keywords found in b, in the order of the
// pairs looked for. It looks up the sixteen pairs that start in sixteen
// bytes without a branch, and branches on the lot, which ordinary text
// seldom takes.
func (s *scanner) lookFor(b []byte, hits []hit) []hit {
	if len(b) < 2 || len(s.words) == 0 {
		return hits
	}
	t := s.raw
	i := 0
	for ; i+17 <= len(b); i += 16 {
		p := (*[17]byte)(b[i : i+17])
		m := t[le.Uint16(p[0:])] | t[le.Uint16(p[1:])] | t[le.Uint16(p[2:])] | t[le.Uint16(p[3:])] |
			t[le.Uint16(p[4:])] | t[le.Uint16(p[5:])] | t[le.Uint16(p[6:])] | t[le.Uint16(p[7:])] |
			t[le.Uint16(p[8:])] | t[le.Uint16(p[9:])] | t[le.Uint16(p[10:])] | t[le.Uint16(p[11:])] |
			t[le.Uint16(p[12:])] | t[le.Uint16(p[13:])] | t[le.Uint16(p[14:])] | t[le.Uint16(p[15:])]
		if m != 0 {
			hits = s.block(b, i, hits)
		}
	}
	for ; i+1 < len(b); i++ {
		if r := t[le.Uint16(b[i:])]; r != 0 {
			hits = s.verify(b, i, r, hits)
		}
	}
	return hits
}

// block appends the keywords whose pairs looked for start in b[i:i+16]. It gathers
// the pairs found in a mask first, without a branch per pair.
func (s *scanner) block(b []byte, i int, hits []hit) []hit {
	t, p := s.raw, (*[17]byte)(b[i:i+17])
	set := func(k uint16) uint32 { return (uint32(t[k]) + 255) >> 8 } // 1 when the entry is not 0
	m := set(le.Uint16(p[0:])) | set(le.Uint16(p[1:]))<<1 |
		set(le.Uint16(p[2:]))<<2 | set(le.Uint16(p[3:]))<<3 |
		set(le.Uint16(p[4:]))<<4 | set(le.Uint16(p[5:]))<<5 |
		set(le.Uint16(p[6:]))<<6 | set(le.Uint16(p[7:]))<<7 |
		set(le.Uint16(p[8:]))<<8 | set(le.Uint16(p[9:]))<<9 |
		set(le.Uint16(p[10:]))<<10 | set(le.Uint16(p[11:]))<<11 |
		set(le.Uint16(p[12:]))<<12 | set(le.Uint16(p[13:]))<<13 |
		set(le.Uint16(p[14:]))<<14 | set(le.Uint16(p[15:]))<<15
	for ; m != 0; m &= m - 1 {
		j := i + bits.TrailingZeros32(m)
		hits = s.verify(b, j, t[le.Uint16(b[j:])], hits)
	}
	return hits
}

// verify appends the keywords whose pair looked for is at b[i:], where r is
// the pair's entry in raw.
func (s *scanner) verify(b []byte, i int, r uint8, hits []hit) []hit {
	sl := int(r) - 1
	if r == slotByHash {
		sl = s.slotOf(pair(b[i], b[i+1]))
	}
	for _, id := range s.slots[sl].ids {
		e := &s.words[id]
		p := i - e.look
		if p < 0 || p+len(e.kw.text) > len(b) {
			continue
		}
		if p+8 <= len(b) {
			x := le.Uint64(b[p:])
			if !e.kw.exact {
				x = foldUpper(x)
			}
			if x&e.mask != e.head {
				continue
			}
			if len(e.kw.text) <= 8 {
				hits = append(hits, hit{pos: p, kw: id})
				continue
			}
		}
		if e.kw.exact && string(b[p:p+len(e.kw.text)]) != e.kw.text ||
			!e.kw.exact && !hasFold(b[p:], e.kw.text) {
			continue
		}
		hits = append(hits, hit{pos: p, kw: id})
	}
	return hits
}

// foldUpper maps the ASCII upper-case letters of the eight bytes x to
// lower case, as fold does, and leaves the other bytes as they are.
func foldUpper(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	y := x &^ highs                // no byte carries into the next below
	ge := y + ones*(0x80-'A')      // a byte's high bit: it is at least 'A'
	gt := y + ones*(0x80-'Z'-1)    // a byte's high bit: it is above 'Z'
	upper := ge &^ gt &^ x & highs // 0x80 in the bytes 'A' to 'Z'
	return x | upper>>2            // 0x20 added to them
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
