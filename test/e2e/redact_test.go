package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// TestRedactionByDefault checks that the secrets the fixture planted
// outside Secrets, one or more of each shape the default rules know, in pod
// env, a container log, annotations, ConfigMaps (files of every format
// inside JSON strings) and Velero objects, appear nowhere, while the text
// around each does, with the marker in the secret's place; that the
// manifest counts them, rule by rule; that every look-alike survives byte
// for byte; and that every JSON file of the bundle, and every YAML or JSON
// file inside a ConfigMap, still parses.
func TestRedactionByDefault(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	for path, data := range a.files {
		for _, s := range append(append([]string{}, velero.SecretValues...), velero.PlantedCredentials...) {
			assert.False(t, bytes.Contains(data, []byte(s)), "%s holds the planted credential %q (%s)", path, s, plantedAs(s))
		}
	}
	counts := map[string]int{}
	for _, it := range a.manifest.Items {
		for rule, n := range it.Redactions {
			counts[rule] += n
		}
	}
	markers := map[string]int{}
	for _, p := range velero.Planted {
		assert.True(t, a.contains(p.Redacted), "the %s in %s must read\n%s\nthe bundle has\n%s", p.Rule, p.Where, p.Redacted, a.near(p.Redacted))
		for _, m := range markerRule.FindAllStringSubmatch(p.Redacted, -1) {
			markers[m[1]]++
		}
	}
	for rule, n := range markers {
		// A planted secret may be in several items (a pod template's env is
		// in the Deployment, the ReplicaSet and the Pod): at least once each.
		assert.GreaterOrEqual(t, counts[rule], n, "the manifest counts rule %s", rule)
	}
	for _, l := range velero.LookAlikes {
		assert.True(t, a.contains(l.Text), "the look-alike in %s must survive byte for byte:\n%s\nthe bundle has\n%s", l.Where, l.Text, a.near(l.Text))
	}
	assertJSONFiles(t, a)
	assertConfigMapFiles(t, a, "velero", "db-backup-config")
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
	for _, l := range velero.LookAlikes {
		require.True(t, a.contains(l.Text), "without redaction, the look-alike in %s reads\n%s", l.Where, l.Text)
	}
	assertJSONFiles(t, a)
	assertConfigMapFiles(t, a, "velero", "db-backup-config")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("rules:\n  - name: broken\n    pattern: '(['\n"), 0o600))
	r = runTool(t, nil, "--redact-rules", bad)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, `--redact-rules`)
	requireNoOutput(t, r)
}

// near shows what the bundle holds where want should be, from the last
// stretch of want before its first marker that the bundle holds (from
// want's first one when it has no marker), as long as want and some more.
func (a archive) near(want string) string {
	head := want
	if i := strings.Index(head, "[REDACTED:"); i >= 0 {
		head = head[:i]
	}
	const window = 24
	for end := len(head); end > 0; end -= window / 2 {
		h := head[max(0, end-window):end]
		if !strings.Contains(want, "[REDACTED:") {
			h = head[len(head)-end : min(len(head), len(head)-end+window)]
		}
		for path, data := range a.files {
			if i := bytes.Index(data, []byte(h)); i >= 0 {
				return fmt.Sprintf("%s: %s", path, data[i:min(len(data), i+len(want)+80)])
			}
		}
	}
	return "(nothing like it)"
}

// plantedAs says which planted secret holds the credential s, for messages.
func plantedAs(s string) string {
	quoted, err := json.Marshal(s)
	if err != nil {
		return err.Error()
	}
	for _, p := range velero.Planted {
		if strings.Contains(p.Raw, s) || strings.Contains(p.Raw, string(quoted[1:len(quoted)-1])) {
			return "the " + p.Rule + " in " + p.Where
		}
	}
	return "a Secret or a pre-signed URL"
}

// markerRule finds the markers of a redacted text and their rules.
var markerRule = regexp.MustCompile(`\[REDACTED:([a-z0-9-]+)\]`)

// assertJSONFiles checks that every .json file of a bundle parses. A List
// has one item per line: the first one that does not parse is named.
func assertJSONFiles(t *testing.T, a archive) {
	t.Helper()
	n := 0
	for path, data := range a.files {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		n++
		if !json.Valid(data) {
			assert.Fail(t, "not JSON", "%s does not parse: %s", path, badJSONLine(data))
		}
	}
	assert.Positive(t, n, "the bundle has JSON files")
}

// badJSONLine describes the first item of a List, one item per line, that
// does not parse.
func badJSONLine(data []byte) string {
	lines := bytes.Split(data, []byte("\n"))
	if !bytes.HasSuffix(lines[0], []byte(`"items":[`)) {
		return "not a List of one item per line"
	}
	for i, l := range lines[1:] {
		item := bytes.TrimSuffix(l, []byte(","))
		if len(item) == 0 || string(item) == "]}" {
			continue
		}
		if !json.Valid(item) {
			return fmt.Sprintf("line %d: %.2000s", i+2, l)
		}
	}
	return "each item parses, the List does not"
}

// assertConfigMapFiles checks that the files of a ConfigMap in a bundle
// still parse: .json files as JSON, YAML files and kubeconfigs as YAML
// where a marker is a string, not a flow sequence ([REDACTED:…] unquoted).
func assertConfigMapFiles(t *testing.T, a archive, ns, name string) {
	t.Helper()
	var l struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Data     map[string]string     `json:"data"`
		} `json:"items"`
	}
	path := "resources/" + ns + "/core_v1/configmaps.json"
	if err := json.Unmarshal(a.files[path], &l); err != nil {
		assert.Fail(t, "not JSON", "%s: %v", path, err)
		return
	}
	found := false
	for _, cm := range l.Items {
		if cm.Metadata.Name != name {
			continue
		}
		found = true
		for file, text := range cm.Data {
			switch {
			case strings.HasSuffix(file, ".json"):
				assert.True(t, json.Valid([]byte(text)), "ConfigMap %s, %s is JSON:\n%s", name, file, text)
			case strings.HasSuffix(file, ".xml"):
				if err := wellFormedXML(text); err != nil {
					assert.Fail(t, "not XML", "ConfigMap %s, %s: %v\n%s", name, file, err, text)
				}
			case strings.HasSuffix(file, ".yaml") || file == "kubeconfig":
				var v any
				if err := yaml.Unmarshal([]byte(text), &v); err != nil {
					assert.Fail(t, "not YAML", "ConfigMap %s, %s: %v\n%s", name, file, err, text)
					continue
				}
				assert.Empty(t, markerLists(v), "ConfigMap %s, %s: markers must be strings:\n%s", name, file, text)
			}
		}
	}
	assert.True(t, found, "ConfigMap %s is in %s", name, path)
}

func wellFormedXML(text string) error {
	d := xml.NewDecoder(strings.NewReader(text))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// markerLists finds the lists in v that an unquoted marker made.
func markerLists(v any) []any {
	var out []any
	switch v := v.(type) {
	case []any:
		if len(v) == 1 {
			if s, ok := v[0].(string); ok && strings.HasPrefix(s, "REDACTED:") {
				out = append(out, v)
			}
		}
		for _, e := range v {
			out = append(out, markerLists(e)...)
		}
	case map[string]any:
		for _, e := range v {
			out = append(out, markerLists(e)...)
		}
	}
	return out
}
