package redact

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestYAMLQuoting checks the YAML escapes against a YAML parser: what
// unquoteYAML decodes is what the parser reads, and what quoteYAML encodes
// reads back as it was.
func TestYAMLQuoting(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`plain`, `a \"quoted\" word`, `back\\slash`, `tab\there\tand\x09`, `\u00e9t\u00E9 \U0001F600`,
		`nul\0 bell\a esc\e \N\_\L\P`, `{\"password\":\"x\"}`,
	} {
		var want string
		require.NoError(t, yaml.Unmarshal([]byte(`"`+raw+`"`), &want), raw)
		got, ok := unquoteYAML([]byte(raw))
		require.True(t, ok, raw)
		require.Equal(t, want, string(got), raw)

		var back string
		enc := `"` + string(quoteYAML(nil, got)) + `"`
		require.NoError(t, yaml.Unmarshal([]byte(enc), &back), enc)
		require.Equal(t, want, back, enc)
	}
	for _, bad := range []string{`\q`, `\x4`, `\u12`, `\UFFFFFFFF`, `end\`} {
		_, ok := unquoteYAML([]byte(bad))
		require.False(t, ok, bad)
	}
}
