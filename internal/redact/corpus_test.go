package redact

// The redaction corpus: testdata/corpus/*.txt, one file per family of
// secrets and look-alikes, each case with its exact expected output, run
// through the paths the collector uses. docs/redaction.md is the
// specification the cases follow.
//
// # Format
//
// A file is a list of cases. A case starts with a header line:
//
//	=== secret: NAME     text that holds secrets, with its expected output
//	=== benign: NAME     a look-alike that must come out byte for byte, with no counts
//
// NAME is unique in its file; `go test -run 'TestCorpus/FILE/NAME'` runs one
// case (FILE without .txt; spaces in NAME match as underscores). A case is
// made of sections; a section starts with a line that is exactly one of:
//
//	--- in        the input: the lines up to the next section or case
//	--- out       the expected output (secret cases only, required)
//	--- secrets   more values that must not appear in any output, one a line
//	--- forms: F...   the forms the case runs in (default: text json logrus)
//	--- counts: RULE=N, ...   the expected counts, when they differ from the markers
//	--- options: noeol        the input and output have no final newline
//
// The one-line sections (forms, counts, options) may come anywhere in the
// case. Every other line after in, out or secrets belongs to that section,
// "---" (a YAML document separator), "====" and lines starting with #
// included, up to the next section or case header. Outside a section, that
// is before the first case and between a header and the case's first
// section, lines starting with # are comments and blank lines are ignored.
// Every line of in and out ends with "\n", except the last with noeol;
// trailing empty lines of a section are dropped. In every section the
// character ␍ (U+240D) stands for a carriage return, so that a CR stays
// visible in the file.
//
// In the input of a secret case, ⟦value⟧ (U+27E6, U+27E7) marks a secret
// value: the brackets are removed, and the value must not appear in any
// output, raw or escaped the way the form encodes it. A multi-line value is
// marked line by line. The expected counts are, by default, the number of
// [REDACTED:rule] markers in out minus those in in.
//
// # Forms
//
// A case runs in each of its forms, and in each the output and counts must
// be exact:
//
//   - text: the input as it is, as a file or a log.
//   - json: the input as the value of a ConfigMap's data key, json.Marshal
//     of it, in a List written one object per line the way the collector
//     writes lists; the expected output is the same List with json.Marshal
//     of out (a changed string is re-encoded with encoding/json's rules, an
//     unchanged one keeps its bytes).
//   - logrus: the input, without its final newline, as the msg of a logrus
//     line, strconv.Quote of it; the expected output has strconv.Quote of
//     out.
//
// In every form the output must not depend on how the input is cut into
// writes: it is written whole, a byte at a time, in chunks of random sizes
// from 1 byte to 64 KiB (several seeds), and through a BufferedWriter. The
// expected output, redacted again, must come out unchanged and without
// counts: markers already in place are never secrets.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

const (
	corpusDir     = "testdata/corpus"
	secretOpen    = "⟦"
	secretClose   = "⟧"
	crPlaceholder = "␍"
)

// corpusForms are the forms a case runs in, in order.
var corpusForms = []string{"text", "json", "logrus"}

type corpusCase struct {
	file    string // the file's name without .txt
	name    string
	line    int // of the header
	benign  bool
	in      string
	out     string // == in for a benign case
	secrets []string
	forms   []string
	counts  map[string]int // expected counts; empty for a benign case
}

func (c *corpusCase) String() string { return fmt.Sprintf("%s.txt:%d: %s", c.file, c.line, c.name) }

var markerRE = regexp.MustCompile(`\[REDACTED:([A-Za-z0-9][A-Za-z0-9_.-]*)\]`)

// markerCounts counts the markers in s by rule.
func markerCounts(s string) map[string]int {
	m := map[string]int{}
	for _, sub := range markerRE.FindAllStringSubmatch(s, -1) {
		m[sub[1]]++
	}
	return m
}

// parseCorpus parses one corpus file.
func parseCorpus(file string, data []byte) ([]*corpusCase, error) {
	var (
		cases   []*corpusCase
		cur     *corpusCase
		section string
		lines   map[string][]string
		opts    map[string]bool
		errs    []string
	)
	fail := func(n int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s.txt:%d: %s", file, n, fmt.Sprintf(format, args...)))
	}
	finish := func() {
		if cur == nil {
			return
		}
		block := func(name string) (string, bool) {
			ls, ok := lines[name]
			for len(ls) > 0 && ls[len(ls)-1] == "" {
				ls = ls[:len(ls)-1]
			}
			if !ok || len(ls) == 0 {
				return "", ok
			}
			s := strings.Join(ls, "\n")
			if !opts["noeol"] {
				s += "\n"
			}
			return strings.ReplaceAll(s, crPlaceholder, "\r"), true
		}
		raw, ok := block("in")
		if !ok || raw == "" {
			fail(cur.line, "%s: no input", cur.name)
		}
		in, secrets, err := unmarkSecrets(raw)
		if err != nil {
			fail(cur.line, "%s: %v", cur.name, err)
		}
		cur.in, cur.secrets = in, secrets
		for _, s := range lines["secrets"] {
			if s = strings.ReplaceAll(s, crPlaceholder, "\r"); s != "" {
				cur.secrets = append(cur.secrets, s)
			}
		}
		out, hasOut := block("out")
		switch {
		case cur.benign && hasOut:
			fail(cur.line, "%s: a benign case has no out: its output is its input", cur.name)
		case cur.benign:
			cur.out = cur.in
		case !hasOut:
			fail(cur.line, "%s: a secret case needs an out", cur.name)
		default:
			cur.out = out
		}
		if cur.counts == nil {
			cur.counts = map[string]int{}
			if !cur.benign {
				want, have := markerCounts(cur.out), markerCounts(cur.in)
				for rule, n := range want {
					if n -= have[rule]; n > 0 {
						cur.counts[rule] = n
					}
				}
			}
		}
		if cur.forms == nil {
			cur.forms = corpusForms
		}
		cases = append(cases, cur)
		cur = nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		switch {
		case strings.HasPrefix(line, "=== secret: "), strings.HasPrefix(line, "=== benign: "):
			finish()
			cur = &corpusCase{file: file, line: n, benign: strings.HasPrefix(line, "=== benign: "), name: strings.TrimSpace(line[len("=== secret: "):])}
			section, lines, opts = "", map[string][]string{}, map[string]bool{}
			if cur.name == "" {
				fail(n, "a case without a name")
			}
		case strings.HasPrefix(line, "=== "):
			fail(n, "a case header is '=== secret: NAME' or '=== benign: NAME'")
		case line == "--- in", line == "--- out", line == "--- secrets":
			if cur == nil {
				fail(n, "a section outside a case")
				continue
			}
			section = line[4:]
			if _, dup := lines[section]; dup {
				fail(n, "%s: a second %s section", cur.name, section)
			}
			lines[section] = []string{}
		case strings.HasPrefix(line, "--- forms:"), strings.HasPrefix(line, "--- counts:"), strings.HasPrefix(line, "--- options:"):
			if cur == nil {
				fail(n, "a section outside a case")
				continue
			}
			section = ""
			key, val, _ := strings.Cut(line[4:], ":")
			for _, f := range strings.FieldsFunc(val, func(r rune) bool { return r == ' ' || r == ',' }) {
				switch key {
				case "forms":
					if !slices.Contains(corpusForms, f) {
						fail(n, "%s: unknown form %q", cur.name, f)
					}
					cur.forms = append(cur.forms, f)
				case "counts":
					rule, num, ok := strings.Cut(f, "=")
					k, err := strconv.Atoi(num)
					if !ok || err != nil || k < 1 {
						fail(n, "%s: counts are RULE=N, not %q", cur.name, f)
					}
					if cur.counts == nil {
						cur.counts = map[string]int{}
					}
					cur.counts[rule] = k
				case "options":
					if f != "noeol" {
						fail(n, "%s: unknown option %q", cur.name, f)
					}
					opts[f] = true
				}
			}
		case section != "":
			lines[section] = append(lines[section], line)
		case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
			// A comment, or the space between cases.
		default:
			fail(n, "text outside a section: %q", line)
		}
	}
	finish()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return cases, nil
}

// unmarkSecrets removes the ⟦⟧ marks from s and returns the values they
// held.
func unmarkSecrets(s string) (string, []string, error) {
	var (
		b       strings.Builder
		secrets []string
	)
	for {
		i := strings.Index(s, secretOpen)
		j := strings.Index(s, secretClose)
		switch {
		case i < 0 && j < 0:
			b.WriteString(s)
			return b.String(), secrets, nil
		case i < 0 || j >= 0 && j < i:
			return "", nil, fmt.Errorf("%s without %s", secretClose, secretOpen)
		}
		b.WriteString(s[:i])
		s = s[i+len(secretOpen):]
		j = strings.Index(s, secretClose)
		if j < 0 {
			return "", nil, fmt.Errorf("%s without %s", secretOpen, secretClose)
		}
		v := s[:j]
		if v == "" || strings.Contains(v, secretOpen) || strings.Contains(v, "\n") {
			return "", nil, fmt.Errorf("a marked secret must be one line, not empty, not nested: %q", v)
		}
		secrets = append(secrets, v)
		b.WriteString(v)
		s = s[j+len(secretClose):]
	}
}

var (
	corpusOnce  sync.Once
	corpusCases []*corpusCase
	corpusErr   error
)

// loadCorpus returns the cases of every corpus file, in file order.
func loadCorpus() ([]*corpusCase, error) {
	corpusOnce.Do(func() {
		files, err := filepath.Glob(filepath.Join(corpusDir, "*.txt"))
		if err != nil || len(files) == 0 {
			corpusErr = fmt.Errorf("no corpus in %s: %w", corpusDir, err)
			return
		}
		var errs []string
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			cs, err := parseCorpus(strings.TrimSuffix(filepath.Base(f), ".txt"), data)
			if err != nil {
				errs = append(errs, err.Error())
			}
			corpusCases = append(corpusCases, cs...)
		}
		if len(errs) > 0 {
			corpusErr = fmt.Errorf("%s", strings.Join(errs, "\n"))
		}
	})
	return corpusCases, corpusErr
}

func mustLoadCorpus(tb testing.TB) []*corpusCase {
	tb.Helper()
	cases, err := loadCorpus()
	if err != nil {
		tb.Fatal(err)
	}
	return cases
}

// TestCorpusWellFormed checks the corpus itself, whatever the engine does:
// unique names, secrets that are in the input and not in the expected
// output, markers in every secret case, the sizes the issue asks for.
func TestCorpusWellFormed(t *testing.T) {
	t.Parallel()
	cases := mustLoadCorpus(t)
	seen := map[string]bool{}
	var nSecret, nBenign int
	for _, c := range cases {
		key := c.file + "/" + c.name
		if seen[key] {
			t.Errorf("%s: a second case with this name", c)
		}
		seen[key] = true
		if !utf8.ValidString(c.in) || !utf8.ValidString(c.out) {
			t.Errorf("%s: not UTF-8: the json form would change it", c)
		}
		if strings.ContainsAny(c.in+c.out, secretOpen+secretClose+crPlaceholder) {
			t.Errorf("%s: a mark left in the text", c)
		}
		if c.benign {
			nBenign++
			if len(c.secrets) > 0 {
				t.Errorf("%s: a benign case with secrets", c)
			}
			continue
		}
		nSecret++
		if c.in == c.out {
			t.Errorf("%s: a secret case whose output is its input", c)
		}
		if len(c.secrets) == 0 {
			t.Errorf("%s: a secret case without a marked secret", c)
		}
		if len(c.counts) == 0 {
			t.Errorf("%s: a secret case without a marker in out", c)
		}
		for _, s := range c.secrets {
			if !strings.Contains(c.in, s) {
				t.Errorf("%s: secret %q is not in the input", c, s)
			}
			if strings.Contains(c.out, s) {
				t.Errorf("%s: secret %q is in the expected output", c, s)
			}
		}
	}
	t.Logf("corpus: %d secret cases, %d benign", nSecret, nBenign)
	if nSecret < 250 || nBenign < 80 {
		t.Errorf("the corpus has %d secret cases and %d benign: the issue asks for at least 250 and 80", nSecret, nBenign)
	}
}

// corpusWrap returns s in a form: the text itself, a ConfigMap of a List,
// or the msg of a logrus line.
func corpusWrap(form, s string) string {
	switch form {
	case "json":
		v, err := json.Marshal(s)
		if err != nil {
			panic(err) // a string always encodes
		}
		return `{"apiVersion":"v1","kind":"List","items":[` + "\n" +
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"velero"},"data":{"file.txt":` + string(v) + `}},` + "\n" +
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","namespace":"velero"},"data":{"a":"1"}}` + "\n]}\n"
	case "logrus":
		return `time="2026-11-27T10:00:00Z" level=info msg=` + strconv.Quote(strings.TrimSuffix(s, "\n")) + ` logSource="pkg/x.go:1"` + "\n"
	}
	return s
}

// encodedSecrets returns the ways a secret may show in a form's output.
func encodedSecrets(form, s string) []string {
	vs := []string{s}
	switch form {
	case "json":
		v, _ := json.Marshal(s)
		vs = append(vs, string(v[1:len(v)-1]))
	case "logrus":
		q := strconv.Quote(s)
		vs = append(vs, q[1:len(q)-1])
	}
	return vs
}

// corpusSplit is one way of writing the input to a Writer.
type corpusSplit struct {
	name     string
	buffered bool
	next     func() int // the size of the next write; nil writes all at once
}

func corpusSplits() []corpusSplit {
	splits := []corpusSplit{{name: "one write"}, {name: "1 byte", next: func() int { return 1 }}}
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		// Sizes from 1 byte to 64 KiB, spread evenly over the powers of 2
		// so that small pieces are as likely as whole writes.
		next := func() int { return min(1<<16, 1<<rng.IntN(17)+rng.IntN(1<<rng.IntN(17))) }
		splits = append(splits, corpusSplit{name: fmt.Sprintf("random seed %d", seed), next: next, buffered: seed == 3})
	}
	return splits
}

// corpusRedact writes in to a Writer of the default rules as split says.
func corpusRedact(in string, split corpusSplit) (string, map[string]int, error) {
	var out bytes.Buffer
	w := Default().Writer(&out)
	if split.buffered {
		w = Default().BufferedWriter(&out)
	}
	for p := []byte(in); len(p) > 0; {
		n := len(p)
		if split.next != nil {
			n = min(max(split.next(), 1), len(p))
		}
		if _, err := w.Write(p[:n]); err != nil {
			return "", nil, err
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	counts := w.Counts()
	for k, v := range counts {
		if v == 0 {
			delete(counts, k)
		}
	}
	return out.String(), counts, nil
}

type corpusTally struct{ secret, benign, secretFailed, benignFailed atomic.Int32 }

// TestCorpus runs every case of the corpus, in every form it has, and
// reports every difference, case by case.
func TestCorpus(t *testing.T) {
	cases := mustLoadCorpus(t)
	tallies := map[string]*corpusTally{}
	var files []string
	for _, c := range cases {
		if tallies[c.file] == nil {
			tallies[c.file] = &corpusTally{}
			files = append(files, c.file)
		}
	}
	t.Cleanup(func() {
		var b strings.Builder
		var all corpusTally
		fmt.Fprintf(&b, "corpus results (failing/total):\n%-14s %9s %9s\n", "family", "secret", "benign")
		for _, f := range files {
			ty := tallies[f]
			fmt.Fprintf(&b, "%-14s %4d/%-4d %4d/%-4d\n", f, ty.secretFailed.Load(), ty.secret.Load(), ty.benignFailed.Load(), ty.benign.Load())
			all.secret.Add(ty.secret.Load())
			all.benign.Add(ty.benign.Load())
			all.secretFailed.Add(ty.secretFailed.Load())
			all.benignFailed.Add(ty.benignFailed.Load())
		}
		fmt.Fprintf(&b, "%-14s %4d/%-4d %4d/%-4d", "total", all.secretFailed.Load(), all.secret.Load(), all.benignFailed.Load(), all.benign.Load())
		t.Log(b.String())
	})
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				if c.file != file {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					ty := tallies[c.file]
					if c.benign {
						ty.benign.Add(1)
					} else {
						ty.secret.Add(1)
					}
					runCorpusCase(t, c)
					if t.Failed() {
						if c.benign {
							ty.benignFailed.Add(1)
						} else {
							ty.secretFailed.Add(1)
						}
					}
				})
			}
		})
	}
}

func runCorpusCase(t *testing.T, c *corpusCase) {
	t.Helper()
	splits := corpusSplits()
	for _, form := range c.forms {
		in, want := corpusWrap(form, c.in), corpusWrap(form, c.out)
		got, counts, err := corpusRedact(in, splits[0])
		if err != nil {
			t.Errorf("%s [%s]: %v", c, form, err)
			continue
		}
		if got != want {
			t.Errorf("%s [%s]: output differs\n%s", c, form, corpusFormDiff(form, want, got))
		}
		if !mapsEqual(counts, c.counts) {
			t.Errorf("%s [%s]: counts %v, want %v", c, form, counts, c.counts)
		}
		for _, s := range c.secrets {
			for _, v := range encodedSecrets(form, s) {
				if strings.Contains(got, v) {
					t.Errorf("%s [%s]: secret %q leaked", c, form, v)
					break
				}
			}
		}
		if form == "json" && !json.Valid([]byte(got)) {
			t.Errorf("%s [%s]: the output is not valid JSON", c, form)
		}
		for _, split := range splits[1:] {
			sgot, scounts, err := corpusRedact(in, split)
			if err != nil {
				t.Errorf("%s [%s]: %s: %v", c, form, split.name, err)
				break
			}
			if sgot != got || !mapsEqual(scounts, counts) {
				t.Errorf("%s [%s]: written in pieces (%s), the output or counts differ from one write\n%s\ncounts %v, one write %v",
					c, form, split.name, corpusFormDiff(form, got, sgot), scounts, counts)
				break // one split is enough to show it
			}
		}
		if !c.benign {
			again, acounts, err := corpusRedact(want, splits[0])
			if err == nil && (again != want || len(acounts) > 0) {
				t.Errorf("%s [%s]: the expected output, redacted again, changes (counts %v)\n%s", c, form, acounts, corpusFormDiff(form, want, again))
			}
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// corpusDiff shows the lines of want and got that differ, with a caret
// under the first byte that differs in each changed line.
func corpusDiff(want, got string) string {
	wl, gl := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	// Longest common subsequence of lines; the texts are small.
	n, m := len(wl), len(gl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if wl[i] == gl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	var minus, plus []string
	flush := func() {
		for k, w := range minus {
			fmt.Fprintf(&b, "  - want |%s\n", visible(w))
			if k < len(plus) {
				g := plus[k]
				fmt.Fprintf(&b, "  + got  |%s\n", visible(g))
				col := 0
				for col < len(w) && col < len(g) && w[col] == g[col] {
					col++
				}
				fmt.Fprintf(&b, "         %s^ byte %d\n", strings.Repeat(" ", utf8.RuneCountInString(visible(w[:col]))+1), col)
			}
		}
		for _, g := range plus[min(len(plus), len(minus)):] {
			fmt.Fprintf(&b, "  + got  |%s\n", visible(g))
		}
		minus, plus = minus[:0], plus[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && wl[i] == gl[j]:
			flush()
			i, j = i+1, j+1
		case j >= m || i < n && lcs[i+1][j] >= lcs[i][j+1]:
			minus = append(minus, wl[i])
			i++
		default:
			plus = append(plus, gl[j])
			j++
		}
	}
	flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// visible shows a line with its control bytes made visible: ␍ for a CR,
// ␉ for a tab, \xNN for others, and "(no newline)" at the end of a last
// line without one.
func visible(line string) string {
	body, nl := strings.CutSuffix(line, "\n")
	var b strings.Builder
	for _, r := range body {
		switch {
		case r == '\r':
			b.WriteString("␍")
		case r == '\t':
			b.WriteString("␉")
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	if !nl {
		b.WriteString(" (no newline)")
	}
	return b.String()
}

// corpusUnwrap returns the text a form wrapped, or false when s is not
// the form's framing around a string.
func corpusUnwrap(form, s string) (string, bool) {
	switch form {
	case "json":
		var list struct {
			Items []struct {
				Data map[string]string `json:"data"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(s), &list); err != nil || len(list.Items) != 2 {
			return "", false
		}
		v, ok := list.Items[0].Data["file.txt"]
		return v, ok
	case "logrus":
		const pre, post = `time="2026-11-27T10:00:00Z" level=info msg=`, ` logSource="pkg/x.go:1"` + "\n"
		if !strings.HasPrefix(s, pre) || !strings.HasSuffix(s, post) {
			return "", false
		}
		v, err := strconv.Unquote(s[len(pre) : len(s)-len(post)])
		return v, err == nil
	}
	return s, true
}

// corpusFormDiff shows how got differs from want in a form: the decoded
// strings when both decode, so that escapes do not hide the difference,
// and the raw lines otherwise.
func corpusFormDiff(form, want, got string) string {
	if form == "text" {
		return corpusDiff(want, got)
	}
	w, okw := corpusUnwrap(form, want)
	g, okg := corpusUnwrap(form, got)
	if !okw || !okg {
		return "  (the output does not decode in this form; raw lines)\n" + corpusDiff(want, got)
	}
	if w == g {
		return "  (the decoded strings are equal; the encoding differs)\n" + corpusDiff(want, got)
	}
	return "  (decoded from the " + form + " string)\n" + corpusDiff(w, g)
}

// TestParseCorpus checks the parser on every kind of section, and that it
// refuses what is not a case.
func TestParseCorpus(t *testing.T) {
	t.Parallel()
	const file = `# A family.
=== secret: yaml
# A comment about the case.
--- in
a: 1
password: ⟦hunter2!x⟧␍
---
--- out
a: 1
password: "[REDACTED:password-field]"␍
---
--- secrets
hunter2

=== secret: two lines in one
--- forms: text logrus
--- counts: pem-private-key=1
--- options: noeol
--- in
k ⟦ab⟧ ⟦cd⟧
--- out
k [REDACTED:pem-private-key]

=== benign: plain
--- in
====
text
`
	cases, err := parseCorpus("f", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []corpusCase{
		{file: "f", name: "yaml", line: 2, in: "a: 1\npassword: hunter2!x\r\n---\n", out: "a: 1\npassword: \"[REDACTED:password-field]\"\r\n---\n",
			secrets: []string{"hunter2!x", "hunter2"}, forms: corpusForms, counts: map[string]int{"password-field": 1}},
		{file: "f", name: "two lines in one", line: 15, in: "k ab cd", out: "k [REDACTED:pem-private-key]",
			secrets: []string{"ab", "cd"}, forms: []string{"text", "logrus"}, counts: map[string]int{"pem-private-key": 1}},
		{file: "f", name: "plain", line: 24, benign: true, in: "====\ntext\n", out: "====\ntext\n", forms: corpusForms, counts: map[string]int{}},
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d", len(cases), len(want))
	}
	for i, c := range cases {
		w := want[i]
		if c.name != w.name || c.line != w.line || c.benign != w.benign || c.in != w.in || c.out != w.out ||
			!slices.Equal(c.secrets, w.secrets) || !slices.Equal(c.forms, w.forms) || !mapsEqual(c.counts, w.counts) {
			t.Errorf("case %d:\n got %+v\nwant %+v", i, *c, w)
		}
	}
	for name, bad := range map[string]string{
		"no out":          "=== secret: s\n--- in\nx ⟦y⟧\n",
		"benign with out": "=== benign: b\n--- in\nx\n--- out\ny\n",
		"no input":        "=== benign: b\n--- forms: text\n",
		"unknown form":    "=== benign: b\n--- forms: xml\n--- in\nx\n",
		"bad counts":      "=== benign: b\n--- counts: x\n--- in\nx\n",
		"open mark":       "=== secret: s\n--- in\nx ⟦y\n--- out\nx\n",
		"bad header":      "=== case: c\n--- in\nx\n",
		"text outside":    "stray\n=== benign: b\n--- in\nx\n",
		"section outside": "--- in\nx\n",
	} {
		if _, err := parseCorpus("f", []byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
