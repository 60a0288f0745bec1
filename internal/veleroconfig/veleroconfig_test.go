package veleroconfig

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestNamed(t *testing.T) {
	got := Named([]string{"server", "--features=", "--repo-maintenance-job-configmap=repo-maint", "--backup-repository-configmap", "repo-conf",
		"--node-agent-configmap=", "--", "--node-agent-configmap=after-dashes"})
	want := map[Kind]string{RepoMaintenance: "repo-maint", BackupRepository: "repo-conf"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Named = %v, want %v", got, want)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]int{"v1.18.3": 18, "1.16": 16, "v1.17.0-rc.1": 17, "v2.0.0": 0, "main": 0, "": 0, "v1.x": 0} {
		if got := ParseVersion(in).Minor; got != want {
			t.Errorf("ParseVersion(%q) = 1.%d, want 1.%d", in, got, want)
		}
	}
}

// messages renders problems one per line: "severity key field: message".
func messages(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(string(p.Severity) + " " + p.Key + " " + p.Field + ": " + p.Message + "\n")
	}
	return b.String()
}

func TestRead(t *testing.T) {
	v18, v16 := Version{Minor: 18}, Version{Minor: 16}
	for _, tc := range []struct {
		name string
		kind Kind
		data map[string]string
		v    Version
		want []string // substrings of messages(problems), in order
		none bool     // no problem at all
	}{
		{name: "healthy node-agent", kind: NodeAgent, v: v18, none: true,
			data: map[string]string{"node-agent-config.json": `{"loadConcurrency":{"globalConfig":2,"perNodeConfig":[{"nodeSelector":{"matchLabels":{"a":"b"}},"number":3}]},` +
				`"podResources":{"cpuRequest":"100m","memoryRequest":"128Mi","cpuLimit":"0","memoryLimit":"1Gi"},"CachePVC":{"storageClass":"fast"}}`}},
		{name: "no data", kind: NodeAgent, v: v18, want: []string{"error  : it has no data: the node-agent does not start"}},
		{name: "invalid JSON", kind: NodeAgent, v: v18, data: map[string]string{"c": `{"loadConcurrency": {`},
			want: []string{"error c : not valid JSON: unexpected end of JSON input at byte 21: the node-agent does not start"}},
		{name: "invalid JSON, 1.16", kind: NodeAgent, v: v16, data: map[string]string{"c": `nope`},
			want: []string{"error c : not valid JSON", "the node-agent logs a warning and runs without it"}},
		{name: "wrong type, version unknown", kind: NodeAgent, data: map[string]string{"c": `{"loadConcurrency":{"globalConfig":"2"}}`},
			want: []string{"error c : json: cannot unmarshal string into Go struct field", "globalConfig of type int: the node-agent does not start (Velero 1.17 and later; earlier, the node-agent logs a warning and runs without it)"}},
		{name: "two keys", kind: NodeAgent, v: v18, data: map[string]string{"a": `{}`, "b": `{}`},
			want: []string{"error  : it has 2 keys (a, b), Velero expects one: the node-agent does not start"}},
		{name: "two keys, 1.16", kind: NodeAgent, v: v16, data: map[string]string{"a": `{}`, "b": `{}`},
			want: []string{"warning  : it has 2 keys (a, b), Velero expects one: the node-agent reads one of them, which one is chance"}},
		{name: "unknown and later fields", kind: NodeAgent, v: v16,
			data: map[string]string{"c": `{"loadAfinity":[],"priorityClassName":"p","backupPVC":{"gold":{"readonly":true,"extra":1}}}`},
			want: []string{
				"warning c backupPVC.gold.extra: unknown field: Velero ignores it\n",
				"warning c loadAfinity: unknown field: Velero ignores it (did you mean loadAffinity?)",
				"warning c priorityClassName: read by Velero 1.17 and later; this Velero is 1.16 and ignores it",
			}},
		{name: "pod resources partly set", kind: NodeAgent, v: v18, data: map[string]string{"c": `{"podResources":{"cpuRequest":"1","memoryLimit":"1Gi"}}`},
			want: []string{"warning c podResources: memoryRequest is not set (Velero needs all four", "the node-agent ignores podResources"}},
		{name: "pod resources request over limit", kind: NodeAgent, v: v18,
			data: map[string]string{"c": `{"podResources":{"cpuRequest":"2","memoryRequest":"1Gi","cpuLimit":"1","memoryLimit":"2Gi"}}`},
			want: []string{"cpuRequest 2 is more than cpuLimit 1"}},
		{name: "invalid selector", kind: NodeAgent, v: v18,
			data: map[string]string{"c": `{"loadAffinity":[{"nodeSelector":{"matchExpressions":[{"key":"k","operator":"Near"}]}}]}`},
			want: []string{"error c loadAffinity[0].nodeSelector: not a valid label selector"}},
		{name: "maintenance", kind: RepoMaintenance, v: v18,
			data: map[string]string{
				"global":             `{"podResources":{"cpuRequest":"x","memoryRequest":"1","cpuLimit":"1","memoryLimit":"1"},"keepLatestMaintenanceJobs":-1}`,
				"app-default-kopia":  `{"priorityClassName":"high","podLabels":{"a":"b"}}`,
				"app2-default-kopia": `[`,
			},
			want: []string{
				"warning app-default-kopia priorityClassName: Velero reads it only under the key \"global\": ignored here",
				"warning app-default-kopia podLabels: Velero reads it only",
				"error app2-default-kopia : not valid JSON",
				"warning global keepLatestMaintenanceJobs: -1 is negative",
			}},
		{name: "backup repository", kind: BackupRepository, v: v18,
			data: map[string]string{"kopia": `{"cacheLimitMB":"2048","fullMaintenanceInterval":"weekly","CacheLimitMB":1}`, "Kopia": `{}`},
			want: []string{
				"warning Kopia : not a repository type (kopia): Velero never reads it",
				"warning kopia CacheLimitMB: Velero discards it",
				"warning kopia cacheLimitMB: \"2048\" is not a number: Velero ignores it",
				"error kopia fullMaintenanceInterval: \"weekly\" is not one of normalGC, fastGC, eagerGC",
			}},
		{name: "backup repository not an object", kind: BackupRepository, v: v16, data: map[string]string{"kopia": `"x"`},
			want: []string{"error kopia : json: cannot unmarshal string into Go value of type map[string]interface {}: backup repositories of that type fail to connect"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Read(tc.kind, tc.data, tc.v)
			got := messages(c.Problems)
			if tc.none {
				if got != "" {
					t.Fatalf("problems:\n%s", got)
				}
				return
			}
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("no %q (in order) in:\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestReadMaintenance(t *testing.T) {
	c := Read(RepoMaintenance, map[string]string{
		"global":             `{"podResources":{"cpuRequest":"x","memoryRequest":"1","cpuLimit":"1","memoryLimit":"1"},"priorityClassName":"high"}`,
		"app-default-kopia":  `{"loadAffinity":[{"nodeSelector":{"matchLabels":{"pool":"maint"}}}]}`,
		"app2-default-kopia": `[`,
	}, Version{Minor: 17})
	got := messages(c.Problems)
	for _, w := range []string{
		"error app2-default-kopia : not valid JSON: unexpected end of JSON input at byte 1: the Velero server does not start",
		"error global podResources: cpuRequest \"x\" is not a quantity: the maintenance jobs it applies to are not created",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("no %q in:\n%s", w, got)
		}
	}
	if !reflect.DeepEqual(c.RepositoryKeys, []string{"app-default-kopia"}) {
		t.Errorf("RepositoryKeys = %v", c.RepositoryKeys)
	}
	if len(c.PriorityClasses) != 1 || c.PriorityClasses[0].Name != "high" || len(c.NodeSelectors) != 1 {
		t.Fatalf("references: %+v %+v", c.PriorityClasses, c.NodeSelectors)
	}
	ps := c.Resolve(Cluster{PriorityClasses: map[string]bool{}, Matches: []int{0}})
	got = messages(ps[len(c.Problems):])
	want := "error global priorityClassName: priority class \"high\" does not exist: the API server refuses the maintenance job pods (no PriorityClass of that name)\n" +
		"error app-default-kopia loadAffinity[0].nodeSelector: selector \"pool=maint\": it matches no node: the maintenance job pods it applies to cannot be scheduled\n"
	if got != want {
		t.Errorf("Resolve:\n%s\nwant:\n%s", got, want)
	}
}

func TestResolve(t *testing.T) {
	c := Read(NodeAgent, map[string]string{"c": `{"loadAffinity":[{"nodeSelector":{"matchLabels":{"pool":"data"}},"storageClass":"gone"}],` +
		`"backupPVC":{"gold":{"storageClass":"silver"}},"cachePVC":{"storageClass":"cache"},"priorityClassName":"p"}`}, Version{Minor: 18})
	if len(c.Problems) != 0 {
		t.Fatalf("problems:\n%s", messages(c.Problems))
	}
	sel := c.NodeSelectors[0].Selector
	if !sel.Matches(labels.Set{"pool": "data"}) || sel.Matches(labels.Set{}) {
		t.Errorf("selector %s", sel)
	}
	// Unknown sets report nothing.
	if ps := c.Resolve(Cluster{}); len(ps) != 0 {
		t.Errorf("with nothing known: %s", messages(ps))
	}
	got := messages(c.Resolve(Cluster{StorageClasses: map[string]bool{"gold": true}, PriorityClasses: map[string]bool{"q": true}, Matches: []int{2}}))
	want := "warning c loadAffinity[0].storageClass: storage class \"gone\" does not exist: the rule applies to no volume\n" +
		"error c backupPVC.gold.storageClass: storage class \"silver\" does not exist: the backup PVCs of volumes of class gold cannot be provisioned\n" +
		"error c cachePVC.storageClass: storage class \"cache\" does not exist: the data movers' cache PVCs cannot be provisioned\n" +
		"warning c priorityClassName: priority class \"p\" does not exist: the node-agent logs a warning and runs data mover pods with the default priority\n"
	if got != want {
		t.Errorf("Resolve:\n%s\nwant:\n%s", got, want)
	}
	if n := Errors(c.Resolve(Cluster{StorageClasses: map[string]bool{}})); n != 2 {
		t.Errorf("Errors = %d, want 2", n)
	}
}

func TestProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"f` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `":1`)
	}
	b.WriteString("}")
	c := Read(NodeAgent, map[string]string{"c": b.String()}, Version{})
	if len(c.Problems) != maxProblems {
		t.Errorf("%d problems, want %d", len(c.Problems), maxProblems)
	}
}
