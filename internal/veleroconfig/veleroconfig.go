// Package veleroconfig reads the ConfigMaps that configure Velero the way
// Velero reads them: the node-agent's (--node-agent-configmap), the
// repository maintenance jobs' (--repo-maintenance-job-configmap) and the
// backup repositories' (--backup-repository-configmap). Read reports what
// Velero refuses (invalid JSON, a value of the wrong type, quantities
// that do not parse) and what it silently ignores (unknown fields, fields
// of a later Velero, keys it never looks up), and names what the
// ConfigMap refers to in the cluster (node selectors, storage classes,
// priority classes), which Resolve checks against the cluster's objects.
//
// What Velero does with each ConfigMap follows its sources of versions
// 1.15 to 1.18: pkg/nodeagent.GetConfigs, pkg/repository/maintenance's
// getJobConfig, the backup repository controller's
// getBackupRepositoryConfig and pkg/util/kube.VerifyJSONConfigs.
package veleroconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Kind is what a ConfigMap configures.
type Kind string

// The ConfigMaps Velero reads.
const (
	// NodeAgent configures the node-agent's data path: load concurrency
	// and affinity, backup and restore PVCs, data mover pods.
	NodeAgent Kind = "node-agent"
	// RepoMaintenance configures the repository maintenance jobs.
	RepoMaintenance Kind = "repo-maintenance-job"
	// BackupRepository configures the backup repositories, by type.
	BackupRepository Kind = "backup-repository"
)

// Kinds are the kinds of ConfigMap Velero reads, in the order a summary
// lists them.
var Kinds = []Kind{NodeAgent, RepoMaintenance, BackupRepository}

// Flag is the flag of the Velero server or node-agent that names the
// ConfigMap of kind k.
func (k Kind) Flag() string { return "--" + string(k) + "-configmap" }

// Named returns the ConfigMaps that a Velero server or node-agent started
// with args names, by kind: "--flag=name" and "--flag name", as pflag
// reads them (the last one wins).
func Named(args []string) map[Kind]string {
	named := map[Kind]string{}
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, k := range Kinds {
			switch {
			case strings.HasPrefix(a, k.Flag()+"="):
				named[k] = strings.TrimPrefix(a, k.Flag()+"=")
			case a == k.Flag() && i+1 < len(args):
				named[k] = args[i+1]
			}
		}
	}
	for k, name := range named {
		if name == "" {
			delete(named, k) // Velero's default: no ConfigMap
		}
	}
	return named
}

// Version is the Velero version whose behaviour Read describes: 1.Minor.
// The zero Version is unknown, and Read then says what each version does.
type Version struct{ Minor int }

// ParseVersion reads "v1.18.3" (or "1.18", or an image tag such as
// "v1.18.3-rc.1"); it returns the zero Version for anything else.
func ParseVersion(s string) Version {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	major, rest, ok := strings.Cut(s, ".")
	if !ok || major != "1" {
		return Version{}
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		rest = rest[:end]
	}
	minor, err := strconv.Atoi(rest)
	if err != nil || minor <= 0 {
		return Version{}
	}
	return Version{Minor: minor}
}

// Known reports whether v is a version.
func (v Version) Known() bool { return v.Minor > 0 }

func (v Version) String() string {
	if !v.Known() {
		return "unknown"
	}
	return fmt.Sprintf("1.%d", v.Minor)
}

// Severity says how much a Problem matters.
type Severity string

// The severities of a Problem.
const (
	// Error: Velero refuses the configuration, or what it configures
	// cannot work.
	Error Severity = "error"
	// Warning: Velero ignores part of it, which the user did not mean.
	Warning Severity = "warning"
)

// Problem is one thing wrong with a ConfigMap.
type Problem struct {
	Severity Severity `json:"severity"`
	// Key is the ConfigMap's data key, Field the path in its JSON value
	// ("loadAffinity[0].nodeSelector"); either may be empty.
	Key     string `json:"key,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Reference is a name a ConfigMap gives of an object of the cluster: a
// storage class or a priority class.
type Reference struct {
	Key, Field string
	Name       string
	// Missing is what it means when the cluster has no such object.
	Missing Problem
}

// NodeSelector is a node selector of a ConfigMap.
type NodeSelector struct {
	Key, Field string
	Selector   labels.Selector
	// None is what it means when it matches no node.
	None Problem
}

// Config is what Read found in one ConfigMap.
type Config struct {
	Kind     Kind
	Problems []Problem
	// StorageClasses and PriorityClasses are the names it gives, and
	// NodeSelectors its node selectors, for Resolve.
	StorageClasses  []Reference
	PriorityClasses []Reference
	NodeSelectors   []NodeSelector
	// RepositoryKeys are the keys of a RepoMaintenance ConfigMap other
	// than "global": each "<volume namespace>-<storage location>-<type>"
	// of the BackupRepository it configures.
	RepositoryKeys []string
}

// maxProblems bounds what one ConfigMap reports: a foreign ConfigMap read
// as Velero's may hold thousands of unknown fields.
const maxProblems = 20

// GlobalKey is the key of a RepoMaintenance ConfigMap that applies to
// every repository.
const GlobalKey = "global"

// Read reads data, a ConfigMap's data, as Velero of version v reads a
// ConfigMap of kind k.
func Read(k Kind, data map[string]string, v Version) Config {
	c := Config{Kind: k}
	if len(data) == 0 {
		c.add(Problem{Severity: Error, Message: "it has no data: " + Unusable(k, v)})
		return c
	}
	keys := sortedKeys(data)
	switch k {
	case NodeAgent:
		if len(keys) > 1 {
			c.add(severalKeys(keys, v))
		}
		for _, key := range keys {
			c.nodeAgent(key, data[key], v)
		}
	case RepoMaintenance:
		for _, key := range keys {
			c.maintenance(key, data[key], v)
		}
	case BackupRepository:
		for _, key := range keys {
			c.repository(key, data[key], v)
		}
	}
	return c
}

// Unusable says what Velero of version v does with a ConfigMap of kind k
// it cannot read: missing, without data, or not JSON.
func Unusable(k Kind, v Version) string {
	var since, before string
	switch k {
	case NodeAgent:
		since, before = "the node-agent does not start", "the node-agent logs a warning and runs without it"
	case RepoMaintenance:
		since, before = "the Velero server does not start", "repository maintenance jobs fail"
	default:
		since, before = "the Velero server does not start", "backup repositories of that type fail to connect"
	}
	return bySince(v, 17, since, before)
}

// Missing says what Velero of version v does when the ConfigMap of kind k
// its flag names does not exist.
func Missing(k Kind, v Version) string {
	if k == RepoMaintenance {
		return bySince(v, 17, "the Velero server does not start", "Velero runs maintenance jobs without it")
	}
	return Unusable(k, v)
}

// bySince says what Velero does from 1.since on, and before it.
func bySince(v Version, since int, from, before string) string {
	switch {
	case !v.Known():
		return fmt.Sprintf("%s (Velero 1.%d and later; earlier, %s)", from, since, before)
	case v.Minor >= since:
		return from
	default:
		return before
	}
}

func severalKeys(keys []string, v Version) Problem {
	p := Problem{Severity: Error, Message: fmt.Sprintf("it has %d keys (%s), Velero expects one: ", len(keys), strings.Join(keys, ", "))}
	switch {
	case !v.Known():
		p.Message += "the node-agent does not start (Velero 1.18 and later); earlier, it reads one of them, which one is chance"
	case v.Minor >= 18:
		p.Message += "the node-agent does not start"
	default:
		p.Severity = Warning
		p.Message += "the node-agent reads one of them, which one is chance"
	}
	return p
}

func (c *Config) add(p Problem) {
	if len(c.Problems) < maxProblems {
		c.Problems = append(c.Problems, p)
	}
}

// decode reads value into dst as Velero does (encoding/json), and says
// why it cannot: a syntax error with its offset, or a field of the wrong
// type.
func decode(value string, dst any) error {
	err := json.Unmarshal([]byte(value), dst)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Errorf("not valid JSON: %s at byte %d", syntax.Error(), syntax.Offset)
	}
	return err
}

// loadAffinity is kube.LoadAffinity of Velero.
type loadAffinity struct {
	NodeSelector metav1.LabelSelector `json:"nodeSelector"`
	StorageClass string               `json:"storageClass"`
}

// podResources is kube.PodResources of Velero.
type podResources struct {
	CPURequest    string `json:"cpuRequest,omitempty"`
	MemoryRequest string `json:"memoryRequest,omitempty"`
	CPULimit      string `json:"cpuLimit,omitempty"`
	MemoryLimit   string `json:"memoryLimit,omitempty"`
}

// NodeAgentConfigs is Velero's NodeAgentConfigs (pkg/types), with every
// field of 1.15 to 1.18: what the node-agent decodes.
type NodeAgentConfigs struct {
	LoadConcurrency *struct {
		GlobalConfig  int `json:"globalConfig,omitempty"`
		PerNodeConfig []struct {
			NodeSelector metav1.LabelSelector `json:"nodeSelector"`
			Number       int                  `json:"number"`
		} `json:"perNodeConfig,omitempty"`
		PrepareQueueLength int `json:"prepareQueueLength,omitempty"`
	} `json:"loadConcurrency,omitempty"`
	LoadAffinity []*loadAffinity `json:"loadAffinity,omitempty"`
	BackupPVC    map[string]struct {
		StorageClass    string            `json:"storageClass,omitempty"`
		ReadOnly        bool              `json:"readOnly,omitempty"`
		SPCNoRelabeling bool              `json:"spcNoRelabeling,omitempty"`
		Annotations     map[string]string `json:"annotations,omitempty"`
	} `json:"backupPVC,omitempty"`
	RestorePVC *struct {
		IgnoreDelayBinding bool `json:"ignoreDelayBinding,omitempty"`
	} `json:"restorePVC,omitempty"`
	PodResources       *podResources `json:"podResources,omitempty"`
	PriorityClassName  string        `json:"priorityClassName,omitempty"`
	PrivilegedFsBackup bool          `json:"privilegedFsBackup,omitempty"`
	CachePVC           *struct {
		StorageClass          string `json:"storageClass,omitempty"`
		ResidentThresholdInMB int64  `json:"residentThresholdInMB,omitempty"`
	} `json:"cachePVC,omitempty"`
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`
	PodLabels      map[string]string `json:"podLabels,omitempty"`
}

func (c *Config) nodeAgent(key, value string, v Version) {
	var cfg NodeAgentConfigs
	if err := decode(value, &cfg); err != nil {
		c.add(Problem{Severity: Error, Key: key, Message: fmt.Sprintf("%v: %s", err, Unusable(NodeAgent, v))})
		return
	}
	c.fields(key, value, nodeAgentShape, v)
	if lc := cfg.LoadConcurrency; lc != nil {
		for i, rule := range lc.PerNodeConfig {
			c.selector(key, fmt.Sprintf("loadConcurrency.perNodeConfig[%d].nodeSelector", i), rule.NodeSelector,
				Problem{Severity: Warning, Message: "it matches no node: the rule applies to no node"})
		}
	}
	for i, la := range cfg.LoadAffinity {
		if la == nil {
			continue
		}
		field := fmt.Sprintf("loadAffinity[%d]", i)
		c.selector(key, field+".nodeSelector", la.NodeSelector, Problem{Severity: Error,
			Message: "it matches no node: the data mover pods it applies to cannot be scheduled, and their DataUploads and DataDownloads fail when the prepare timeout ends"})
		if la.StorageClass != "" {
			c.storageClass(key, field+".storageClass", la.StorageClass, Problem{Severity: Warning, Message: "the rule applies to no volume"})
		}
	}
	for _, source := range sortedKeys(cfg.BackupPVC) {
		field := "backupPVC." + source
		c.storageClass(key, field, source, Problem{Severity: Warning, Message: "the entry applies to no volume"})
		if sc := cfg.BackupPVC[source].StorageClass; sc != "" {
			c.storageClass(key, field+".storageClass", sc, Problem{Severity: Error,
				Message: fmt.Sprintf("the backup PVCs of volumes of class %s cannot be provisioned", source)})
		}
	}
	if cp := cfg.CachePVC; cp != nil && cp.StorageClass != "" {
		c.storageClass(key, "cachePVC.storageClass", cp.StorageClass, Problem{Severity: Error,
			Message: "the data movers' cache PVCs cannot be provisioned"})
	}
	c.pods(key, cfg.PriorityClassName, cfg.PodResources,
		Problem{Severity: Warning, Message: "the node-agent logs a warning and runs data mover pods with the default priority"},
		Problem{Severity: Warning, Message: "the node-agent ignores podResources and runs data mover pods without requests or limits"})
}

// pods notes the settings of the pods a ConfigMap configures: a priority
// class, which is missing when it does not exist, and resources, which
// are invalid when they do not parse.
func (c *Config) pods(key, priorityClass string, pr *podResources, missing, invalid Problem) {
	if priorityClass != "" {
		c.PriorityClasses = append(c.PriorityClasses, Reference{Key: key, Field: "priorityClassName", Name: priorityClass, Missing: missing})
	}
	if pr == nil {
		return
	}
	if err := pr.parse(); err != nil {
		invalid.Key, invalid.Field = key, "podResources"
		invalid.Message = fmt.Sprintf("%v: %s", err, invalid.Message)
		c.add(invalid)
	}
}

// JobConfigs is Velero's JobConfigs (pkg/types), with every field of 1.15
// to 1.18: what the server decodes for maintenance jobs.
type JobConfigs struct {
	LoadAffinities            []*loadAffinity   `json:"loadAffinity,omitempty"`
	PodResources              *podResources     `json:"podResources,omitempty"`
	KeepLatestMaintenanceJobs *int              `json:"keepLatestMaintenanceJobs,omitempty"`
	PriorityClassName         string            `json:"priorityClassName,omitempty"`
	PodAnnotations            map[string]string `json:"podAnnotations,omitempty"`
	PodLabels                 map[string]string `json:"podLabels,omitempty"`
}

func (c *Config) maintenance(key, value string, v Version) {
	var cfg JobConfigs
	if err := decode(value, &cfg); err != nil {
		c.add(Problem{Severity: Error, Key: key, Message: fmt.Sprintf("%v: %s", err,
			bySince(v, 17, "the Velero server does not start", "the maintenance jobs it applies to fail"))})
		return
	}
	c.fields(key, value, jobShape, v)
	global := key == GlobalKey
	if !global {
		c.RepositoryKeys = append(c.RepositoryKeys, key)
		for _, f := range []struct {
			name string
			set  bool
		}{{"priorityClassName", cfg.PriorityClassName != ""}, {"podAnnotations", len(cfg.PodAnnotations) > 0}, {"podLabels", len(cfg.PodLabels) > 0}} {
			if f.set {
				c.add(Problem{Severity: Warning, Key: key, Field: f.name, Message: "Velero reads it only under the key \"global\": ignored here"})
			}
		}
	}
	for i, la := range cfg.LoadAffinities {
		if la != nil {
			c.selector(key, fmt.Sprintf("loadAffinity[%d].nodeSelector", i), la.NodeSelector, Problem{Severity: Error,
				Message: "it matches no node: the maintenance job pods it applies to cannot be scheduled"})
		}
	}
	priority := cfg.PriorityClassName
	if !global {
		priority = "" // ignored, said above
	}
	c.pods(key, priority, cfg.PodResources,
		Problem{Severity: Error, Message: "the API server refuses the maintenance job pods (no PriorityClass of that name)"},
		Problem{Severity: Error, Message: "the maintenance jobs it applies to are not created"})
	if n := cfg.KeepLatestMaintenanceJobs; n != nil && *n < 0 {
		c.add(Problem{Severity: Warning, Key: key, Field: "keepLatestMaintenanceJobs", Message: fmt.Sprintf("%d is negative", *n)})
	}
}

// Backup repository settings Velero reads; it discards every other one
// (pkg/repository/provider.getStorageVariables).
const (
	cacheLimitMB            = "cacheLimitMB"
	fullMaintenanceInterval = "fullMaintenanceInterval"
)

// maintenanceIntervals are the values of fullMaintenanceInterval.
var maintenanceIntervals = []string{"normalGC", "fastGC", "eagerGC"}

func (c *Config) repository(key, value string, v Version) {
	if key != "kopia" && key != "restic" {
		c.add(Problem{Severity: Warning, Key: key, Message: "not a repository type (kopia): Velero never reads it"})
	}
	var cfg map[string]any
	if err := decode(value, &cfg); err != nil {
		c.add(Problem{Severity: Error, Key: key, Message: fmt.Sprintf("%v: %s", err, Unusable(BackupRepository, v))})
		return
	}
	for _, name := range sortedKeys(cfg) {
		val := cfg[name]
		switch name {
		case cacheLimitMB:
			if _, ok := val.(float64); !ok {
				c.add(Problem{Severity: Warning, Key: key, Field: name, Message: fmt.Sprintf("%s is not a number: Velero ignores it", compact(val))})
			}
		case fullMaintenanceInterval:
			s := fmt.Sprint(val) // Velero's own reading
			if !slices.Contains(maintenanceIntervals, s) {
				c.add(Problem{Severity: Error, Key: key, Field: name, Message: fmt.Sprintf("%q is not one of %s: the repository's maintenance settings fail to apply",
					s, strings.Join(maintenanceIntervals, ", "))})
			}
		default:
			c.add(Problem{Severity: Warning, Key: key, Field: name,
				Message: fmt.Sprintf("Velero discards it: it reads only %s and %s (case matters)", cacheLimitMB, fullMaintenanceInterval)})
		}
	}
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// parse reads the four quantities as Velero does
// (kube.ParseResourceRequirements): all four must parse, and a request
// must not exceed its limit unless the limit is 0 (unbounded).
func (p podResources) parse() error {
	q := [4]resource.Quantity{}
	for i, f := range []struct{ name, value string }{
		{"cpuRequest", p.CPURequest}, {"memoryRequest", p.MemoryRequest}, {"cpuLimit", p.CPULimit}, {"memoryLimit", p.MemoryLimit},
	} {
		v, err := resource.ParseQuantity(f.value)
		if err != nil {
			if f.value == "" {
				return fmt.Errorf("%s is not set (Velero needs all four of cpuRequest, memoryRequest, cpuLimit and memoryLimit; \"0\" means unbounded)", f.name)
			}
			return fmt.Errorf("%s %q is not a quantity", f.name, f.value)
		}
		q[i] = v
	}
	zero := resource.MustParse("0")
	if !q[2].Equal(zero) && q[0].Cmp(q[2]) > 0 {
		return fmt.Errorf("cpuRequest %s is more than cpuLimit %s", p.CPURequest, p.CPULimit)
	}
	if !q[3].Equal(zero) && q[1].Cmp(q[3]) > 0 {
		return fmt.Errorf("memoryRequest %s is more than memoryLimit %s", p.MemoryRequest, p.MemoryLimit)
	}
	return nil
}

func (c *Config) selector(key, field string, ls metav1.LabelSelector, none Problem) {
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		c.add(Problem{Severity: Error, Key: key, Field: field, Message: fmt.Sprintf("not a valid label selector: %v", err)})
		return
	}
	none.Key, none.Field = key, field
	c.NodeSelectors = append(c.NodeSelectors, NodeSelector{Key: key, Field: field, Selector: sel, None: none})
}

func (c *Config) storageClass(key, field, name string, missing Problem) {
	c.StorageClasses = append(c.StorageClasses, Reference{Key: key, Field: field, Name: name, Missing: missing})
}

// Cluster is what Resolve checks a Config against. A nil set is unknown
// (the bundle could not list it): nothing is reported against it.
type Cluster struct {
	StorageClasses  map[string]bool
	PriorityClasses map[string]bool
	// Matches counts the nodes each of the Config's NodeSelectors
	// matches, in order; nil when the nodes are unknown.
	Matches []int
}

// Resolve returns the Config's problems with those of its references to
// cl: a storage class or priority class that does not exist, a node
// selector that matches no node.
func (c Config) Resolve(cl Cluster) []Problem {
	out := slices.Clone(c.Problems)
	missing := func(what string, set map[string]bool, refs []Reference) {
		if set == nil {
			return
		}
		for _, r := range refs {
			if !set[r.Name] && len(out) < maxProblems {
				p := r.Missing
				p.Key, p.Field = r.Key, r.Field
				p.Message = fmt.Sprintf("%s %q does not exist: %s", what, r.Name, p.Message)
				out = append(out, p)
			}
		}
	}
	missing("storage class", cl.StorageClasses, c.StorageClasses)
	missing("priority class", cl.PriorityClasses, c.PriorityClasses)
	if len(cl.Matches) == len(c.NodeSelectors) {
		for i, s := range c.NodeSelectors {
			if cl.Matches[i] == 0 && len(out) < maxProblems {
				p := s.None
				p.Message = fmt.Sprintf("selector %s: %s", orEverything(s.Selector.String()), p.Message)
				out = append(out, p)
			}
		}
	}
	return out
}

func orEverything(s string) string {
	if s == "" {
		return "(every node)"
	}
	return strconv.Quote(s)
}

// Errors counts the problems of severity Error in ps.
func Errors(ps []Problem) int {
	n := 0
	for _, p := range ps {
		if p.Severity == Error {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
