package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultIsShared(t *testing.T) {
	t.Parallel()
	first, second := Default(), Default()
	require.Same(t, first, second)
}

func TestUserRules(t *testing.T) {
	t.Parallel()
	rs, err := Compile([]Rule{
		{Name: "vault-token", Pattern: `\bhvs\.[A-Za-z0-9_-]{20,}`},
		{Name: "ticket", Pattern: `(?i)ticket=(\w+)`, Keywords: []string{"ticket"}},
	}, []string{"hunter2-hunter2", "Zq9Literal"}, true)
	require.NoError(t, err)
	runCases(t, rs, []redactCase{
		{"pattern", "VAULT=hvs.CAESIAbcdefghijklmnopqrstu x", "VAULT=[REDACTED:vault-token] x", one("vault-token")},
		{"group keeps the name", "TICKET=abc123 ticket=def", "TICKET=[REDACTED:ticket] ticket=[REDACTED:ticket]", map[string]int{"ticket": 2}},
		{"literal", "pass hunter2-hunter2 and Zq9Literal, not zq9literal", "pass [REDACTED:literal] and [REDACTED:literal], not zq9literal", map[string]int{ruleLiteral: 2}},
		{"defaults too", "password=x", "password=[REDACTED:password-field]", one(rulePassword)},
	})
}

func TestWithoutDefaults(t *testing.T) {
	t.Parallel()
	rs, err := Compile(nil, []string{"Zq9Literal"}, false)
	require.NoError(t, err)
	runCases(t, rs, []redactCase{
		{"defaults off", "password=x AKIAVDBGSECRET234567\n-----BEGIN PRIVATE KEY-----\nMIIE\n", "password=x AKIAVDBGSECRET234567\n-----BEGIN PRIVATE KEY-----\nMIIE\n", nil},
		{"literal on", "a Zq9Literal b", "a [REDACTED:literal] b", one(ruleLiteral)},
	})
	none, err := Compile(nil, nil, false)
	require.NoError(t, err)
	out, counts := none.Redact([]byte("password=x\n"))
	require.Equal(t, "password=x\n", string(out))
	require.Empty(t, counts)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		rules    []Rule
		literals []string
		want     string
	}{
		{"no name", []Rule{{Pattern: "x"}}, nil, "rule 0: name"},
		{"bad name", []Rule{{Name: "a]b", Pattern: "x"}}, nil, `rule 0: name "a]b"`},
		{"bad pattern", []Rule{{Name: "r", Pattern: "("}}, nil, `rule "r": error parsing regexp`},
		{"short keyword", []Rule{{Name: "r", Pattern: "x", Keywords: []string{"k"}}}, nil, `rule "r": keyword "k"`},
		{"short literal", nil, []string{"abc"}, "literal 0 is shorter than 4 bytes"},
		{"long literal", nil, []string{strings.Repeat("s", maxKeyword+1)}, "literal 0 is longer"},
		{"literal with a newline", nil, []string{"ok-literal", "Zq9\nsecret"}, "literal 1 contains a newline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.rules, tc.literals, true)
			require.ErrorContains(t, err, tc.want)
			for _, lit := range tc.literals {
				require.NotContains(t, err.Error(), lit, "an error never shows a literal")
			}
		})
	}
}
