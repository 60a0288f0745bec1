package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedactionByDefault checks that the secrets the fixture planted
// outside Secrets, one or more of each shape the default rules know, in pod
// env, a container log, annotations, a ConfigMap and Velero objects, appear
// nowhere, while the text around each does, with the marker in the
// secret's place; and that the manifest counts them, rule by rule.
func TestRedactionByDefault(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	for path, data := range a.files {
		for _, s := range append(append([]string{}, velero.SecretValues...), velero.PlantedCredentials...) {
			assert.False(t, bytes.Contains(data, []byte(s)), "%s holds the planted credential %q", path, s)
		}
	}
	counts := map[string]int{}
	for _, it := range a.manifest.Items {
		for rule, n := range it.Redactions {
			counts[rule] += n
		}
	}
	for _, p := range velero.Planted {
		assert.True(t, a.contains(p.Redacted), "the %s in %s must read\n%s", p.Rule, p.Where, p.Redacted)
		assert.Positive(t, counts[p.Rule], "the manifest counts rule %s", p.Rule)
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
	for _, p := range velero.Planted {
		// What TestRedactionByDefault checks is what a bundle holds.
		require.True(t, a.contains(p.Raw), "without redaction, the %s in %s reads\n%s", p.Rule, p.Where, p.Raw)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("rules:\n  - name: broken\n    pattern: '(['\n"), 0o600))
	r = runTool(t, nil, "--redact-rules", bad)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, `--redact-rules`)
	requireNoOutput(t, r)
}
