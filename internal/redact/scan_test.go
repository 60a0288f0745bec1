package redact

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// referenceScan is what scanner.scan must return, found the slow way: at
// every index, the keywords whose anchor starts there, in the order they
// were added.
func referenceScan(s *scanner, b []byte) []hit {
	var hits []hit
	for i := 0; i+1 < len(b); i++ {
		for id, e := range s.words {
			p, n := i-e.offset, len(e.kw.text)
			switch {
			case p < 0 || p+n > len(b):
			case e.kw.exact && string(b[p:p+n]) == e.kw.text, !e.kw.exact && hasFold(b[p:], e.kw.text):
				hits = append(hits, hit{pos: p, kw: id})
			}
		}
	}
	return hits
}

func TestScanMatchesReference(t *testing.T) {
	t.Parallel()
	user, err := Compile([]Rule{{Name: "u", Pattern: "x", Keywords: []string{"Zz", "q\xc3\x89", "ticket", "g=x", "ig=", "-conf"}}},
		[]string{"Hunter2x", "ab\x00\xffcd", "SIG=value"}, true)
	require.NoError(t, err)
	const alphabet = "passwordPASSWORDphrasesecretokenapikey_-accountstoragekeycredentialauthsig=SIG=signature" +
		"privatebearerAKIASIAeyJ://last-applied-configurationZzq\xc3\x89ticketHunter2xab\x00\xffcd \"\nPqxyHfxyxyAb"
	// More anchors than raw's entries can index: some slots are found by hash.
	var literals []string
	for i := range 400 {
		literals = append(literals, string([]byte{'A' + byte(i/26), 'a' + byte(i%26), 'x', 'y'}))
	}
	many, err := Compile(nil, literals, true)
	require.NoError(t, err)
	require.Greater(t, len(many.scan.slots), slotByHash)
	for _, rs := range []*Rules{Default(), user, many} {
		s := &rs.scan
		rng := rand.New(rand.NewPCG(3, 4))
		for range 5000 {
			b := make([]byte, rng.IntN(120))
			for i := range b {
				if rng.IntN(10) == 0 {
					b[i] = byte(rng.IntN(256))
				} else {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
			}
			require.Equal(t, referenceScan(s, b), s.scan(b, nil), "%q", b)
		}
		for _, data := range [][]byte{veleroLog(64 << 10), podsJSON(64 << 10)} {
			for line := range bytes.Lines(data) {
				require.Equal(t, referenceScan(s, line), s.scan(line, nil), "%q", line)
			}
		}
	}
	require.True(t, slices.ContainsFunc(Default().scan.words, func(e entry) bool { return e.look != e.offset }),
		"some keyword looks for another pair than its anchor: the order is tested")
}
