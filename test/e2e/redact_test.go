package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRedactionByDefault checks that the credentials the fixture planted
// outside Secrets (a literal env value on the Velero server's container,
// and the access key and signature of a pre-signed URL) appear nowhere,
// while the field that held them does, and that the manifest counts them.
func TestRedactionByDefault(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	for path, data := range a.files {
		for _, s := range append(append([]string{}, velero.SecretValues...), velero.PlantedCredentials...) {
			require.False(t, bytes.Contains(data, []byte(s)), "%s holds a planted credential", path)
		}
	}
	deploy := string(a.files["resources/velero/apps_v1/deployments.json"])
	require.Regexp(t, `"name":"AWS_SECRET_ACCESS_KEY","value":"\[REDACTED:[a-z-]+\]"`, deploy)
	total := 0
	for _, n := range a.item(t, "resources/velero/apps_v1/deployments.json").Redactions {
		total += n
	}
	require.Positive(t, total, "the manifest counts what was redacted")
	require.Regexp(t, `Values redacted: [1-9]`, string(a.files["summary.md"]))
}

// TestUserRulesAndNoDefaults checks --redact-rules (a pattern and a
// literal) and that --no-default-redaction warns and turns the defaults off.
func TestUserRulesAndNoDefaults(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(`rules:
  - name: node-names
    pattern: 'kwok-node-[0-9]+'
    keywords: [kwok-node-]
literals:
  - node-agent-config
`), 0o600))
	r := runTool(t, nil, "--redact-rules", rules)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	nodes := string(a.files["cluster/nodes.json"])
	require.NotContains(t, nodes, "kwok-node-0")
	require.Contains(t, nodes, "[REDACTED:node-names]")
	require.NotContains(t, string(a.files["resources/velero/core_v1/configmaps.json"]), `"node-agent-config"`)

	r = runTool(t, nil, "--no-default-redaction")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "WARNING: --no-default-redaction")
	a = readBundle(t, r.output)
	require.Contains(t, string(a.files["resources/velero/apps_v1/deployments.json"]), velero.PlantedCredentials[0],
		"without the defaults, the literal env value is kept: the user was warned")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("rules:\n  - name: broken\n    pattern: '(['\n"), 0o600))
	r = runTool(t, nil, "--redact-rules", bad)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, `--redact-rules`)
	requireNoOutput(t, r)
}
