package redact

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strings"
	"sync"
)

const (
	// maxWindow is the most bytes of one line processed at once.
	maxWindow = 1 << 20
	// maxJSONLine is the most bytes of a JSON line held to be redacted by
	// its structure; a longer one is redacted as text, in windows.
	maxJSONLine = 4 << 20
	// overlap is how many bytes at the end of a window are processed again
	// with the next window, so that a secret across the cut is seen whole.
	overlap = 4 << 10
	// minLiteral is the shortest literal: shorter ones would redact too much.
	minLiteral = 4
	// maxKeyword bounds user keywords and literals so that they fit in the
	// overlap of two windows.
	maxKeyword = overlap
)

// Rule names of the default rules, as they appear in markers and counts.
const (
	ruleAWSKeyID      = "aws-access-key-id"
	ruleAWSSecret     = "aws-secret-key"
	ruleAzureKey      = "azure-storage-key"
	ruleAzureSAS      = "azure-sas-token"
	rulePresigned     = "presigned-url"
	ruleGCPKey        = "gcp-private-key"
	ruleGCPKeyID      = "gcp-private-key-id"
	rulePEM           = "pem-private-key"
	ruleBearer        = "bearer-token"
	ruleBasic         = "basic-auth"
	ruleJWT           = "jwt"
	ruleURL           = "url-password"
	ruleRepository    = "repository-password"
	rulePassword      = "password-field"
	ruleToken         = "token-field"
	ruleSecret        = "secret-field"
	ruleLastApplied   = "last-applied-configuration"
	ruleLiteral       = "literal"
	ruleKnownToken    = "known-token"
	ruleWebhook       = "webhook-url"
	ruleSigV4         = "aws-signature"
	ruleCookie        = "cookie"
	lastAppliedPrefix = "kubectl.kubernetes.io/"
)

// Rule is a user rule: a named regular expression.
type Rule struct {
	// Name names the rule in markers, [REDACTED:Name], and in counts.
	Name string
	// Pattern is a regular expression in RE2 syntax, matched within a line.
	// When it has a capturing group, only what the first group matches is
	// redacted, so that a field name can survive: `(?i)mytoken=(\S+)`.
	Pattern string
	// Keywords, when set, run Pattern only on lines that contain one of
	// them, ignoring case. Without keywords, Pattern runs on every line,
	// which is much slower than the default rules.
	Keywords []string
}

// Rules is a compiled set of rules. It is immutable and safe for concurrent
// use by many Writers.
type Rules struct {
	builtin bool
	users   []userRule
	always  []int // users without keywords
	scan    scanner
}

type userRule struct {
	name  string
	re    *regexp.Regexp
	group bool
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

var defaultRules = sync.OnceValue(func() *Rules {
	rs, err := Compile(nil, nil, true)
	if err != nil {
		panic(err) // the default rules are constants
	}
	return rs
})

// Default returns the default rules, listed in the package documentation.
func Default() *Rules { return defaultRules() }

// Compile returns the rules extra and literals, plus the default rules when
// withDefaults is true. A literal is matched exactly, case included, and is
// redacted as [REDACTED:literal]; it must be 4 to 4096 bytes long, without a
// newline. Errors name a literal by its index, never by its value.
func Compile(extra []Rule, literals []string, withDefaults bool) (*Rules, error) {
	rs := &Rules{builtin: withDefaults}
	if withDefaults {
		for _, kw := range builtinKeywords {
			rs.scan.add(kw)
		}
		for _, k := range knownPrefixes {
			rs.scan.add(keyword{text: k.prefix, look: strings.ToLower(k.look), exact: true, kind: kwKnown})
		}
	}
	for i, r := range extra {
		if err := rs.addRule(i, r); err != nil {
			return nil, err
		}
	}
	for i, lit := range literals {
		if err := rs.addLiteral(i, lit); err != nil {
			return nil, err
		}
	}
	rs.scan.build()
	return rs, nil
}

func (rs *Rules) addRule(i int, r Rule) error {
	if !validName.MatchString(r.Name) {
		return fmt.Errorf("rule %d: name %q must be 1 to 64 letters, digits, '.', '_' or '-'", i, r.Name)
	}
	re, err := regexp.Compile(r.Pattern)
	if err != nil {
		return fmt.Errorf("rule %q: %w", r.Name, err)
	}
	id := len(rs.users)
	rs.users = append(rs.users, userRule{name: r.Name, re: re, group: re.NumSubexp() > 0})
	if len(r.Keywords) == 0 {
		rs.always = append(rs.always, id)
	}
	for _, kw := range r.Keywords {
		if len(kw) < 2 || len(kw) > maxKeyword || bytes.ContainsRune([]byte(kw), '\n') {
			return fmt.Errorf("rule %q: keyword %q must be 2 to %d bytes, without a newline", r.Name, kw, maxKeyword)
		}
		rs.scan.add(keyword{text: kw, kind: kwUser, arg: id})
	}
	return nil
}

func (rs *Rules) addLiteral(i int, lit string) error {
	switch {
	case len(lit) < minLiteral:
		return fmt.Errorf("literal %d is shorter than %d bytes: it would redact too much", i, minLiteral)
	case len(lit) > maxKeyword:
		return fmt.Errorf("literal %d is longer than %d bytes", i, maxKeyword)
	case bytes.ContainsRune([]byte(lit), '\n'):
		return fmt.Errorf("literal %d contains a newline: lines are redacted one by one", i)
	}
	rs.scan.add(keyword{text: lit, exact: true, kind: kwLiteral})
	return nil
}

// Writer returns a Writer that redacts with rs and writes the result to w.
func (rs *Rules) Writer(w io.Writer) *Writer {
	return &Writer{
		rs:      rs,
		dst:     w,
		limit:   maxWindow,
		overlap: overlap,
		atStart: true,
		counts:  map[string]int{},
		runUser: make([]bool, len(rs.users)),
	}
}

// BufferedWriter returns a Writer like Writer does, except that it writes
// through in chunks of at least 64 KiB, not at the end of every Write: a
// line may stay in it until more lines follow, or until Close. It spares a
// bufio.Writer, and a copy of every byte, between it and w.
func (rs *Rules) BufferedWriter(w io.Writer) *Writer {
	rw := rs.Writer(w)
	rw.gather = true
	return rw
}

// Redact returns b redacted, and how many values each rule replaced. It
// suits small content already in memory.
func (rs *Rules) Redact(b []byte) ([]byte, map[string]int) {
	var out bytes.Buffer
	w := rs.Writer(&out)
	_, _ = w.Write(b) // a bytes.Buffer does not fail
	_ = w.Close()
	return out.Bytes(), maps.Clone(w.counts)
}
