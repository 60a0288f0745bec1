package analysis

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
	"github.com/velero-debug/velero-debug/internal/veleroconfig"
)

// ConfigCheck is a ConfigMap that configures Velero, read as Velero reads
// it and checked against the cluster of the bundle.
type ConfigCheck struct {
	// Kind is node-agent, repo-maintenance-job or backup-repository:
	// the flag --<kind>-configmap names it.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	ConfigMap string `json:"configMap"`
	// NamedBy are the workloads whose flag names it: "deployment velero".
	NamedBy []string `json:"namedBy"`
	// Problems are what Velero refuses or ignores in it; empty when it
	// is sound.
	Problems []veleroconfig.Problem `json:"problems"`
	// Unchecked says why it could not be read: the bundle lacks the
	// ConfigMaps of its namespace.
	Unchecked string `json:"unchecked,omitempty"`
}

// Paths of the cluster's objects the checks read.
const (
	nodesFile           = "cluster/nodes.json"
	storageClassesFile  = "cluster/storageclasses.json"
	priorityClassesFile = "cluster/priorityclasses.json"
)

// maxConfigMapBytes bounds the data of the ConfigMaps the checks keep
// until the end of the first reading, when the flags that name them are
// known: Velero's namespace holds few ConfigMaps, each under 1 MiB.
const maxConfigMapBytes = 8 << 20

// configer keeps, while the items stream past, what the configuration
// checks need: the flags of Velero's workloads, the ConfigMaps of their
// namespaces, and the names of the cluster's classes.
type configer struct {
	named []*ConfigCheck
	// maps are the ConfigMaps' data by namespace and name; over the
	// budget, a ConfigMap is kept as nil (present, unread).
	maps  map[string]map[string]map[string]string
	bytes int
	// version is the Velero server's, from its image when the server did
	// not say.
	image string
	// repositories are the "<volume namespace>-<location>-<type>" of the
	// BackupRepositories, by namespace.
	repositories             map[string]map[string]bool
	storageClasses, priority map[string]bool
	// configs are the ConfigMaps read, in the order of named, and
	// matches the count of nodes each of their selectors matches.
	configs []veleroconfig.Config
	matches [][]int
}

func newConfiger() *configer {
	return &configer{maps: map[string]map[string]map[string]string{}, repositories: map[string]map[string]bool{}}
}

// workload notes the ConfigMaps the flags of a Velero workload name: the
// server's Deployment, the node-agent's DaemonSets.
func (c *configer) workload(namespace, kind string, raw json.RawMessage) {
	var o struct {
		Metadata struct{ Name string } `json:"metadata"`
		Spec     struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Name    string   `json:"name"`
						Image   string   `json:"image"`
						Command []string `json:"command"`
						Args    []string `json:"args"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return
	}
	name := o.Metadata.Name
	switch {
	case kind == "deployment" && name == "velero":
	case kind == "daemonset" && (name == "node-agent" || name == "node-agent-windows"):
	default:
		return
	}
	for _, ct := range o.Spec.Template.Spec.Containers {
		if kind == "deployment" && ct.Name == "velero" {
			c.image = ct.Image
		}
		for k, cm := range veleroconfig.Named(append(ct.Command, ct.Args...)) {
			c.name(namespace, k, cm, kind+" "+name)
		}
	}
}

func (c *configer) name(namespace string, k veleroconfig.Kind, configMap, by string) {
	for _, n := range c.named {
		if n.Namespace == namespace && n.Kind == string(k) && n.ConfigMap == configMap {
			if !slices.Contains(n.NamedBy, by) {
				n.NamedBy = append(n.NamedBy, by)
			}
			return
		}
	}
	c.named = append(c.named, &ConfigCheck{Kind: string(k), Namespace: namespace, ConfigMap: configMap, NamedBy: []string{by}})
}

func (c *configer) configMap(namespace string, raw json.RawMessage) {
	var o struct {
		Metadata struct{ Name string } `json:"metadata"`
		Data     map[string]string     `json:"data"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return
	}
	if c.maps[namespace] == nil {
		c.maps[namespace] = map[string]map[string]string{}
	}
	n := 0
	for k, v := range o.Data {
		n += len(k) + len(v)
	}
	if c.bytes+n > maxConfigMapBytes {
		c.maps[namespace][o.Metadata.Name] = nil
		return
	}
	c.bytes += n
	if o.Data == nil {
		o.Data = map[string]string{}
	}
	c.maps[namespace][o.Metadata.Name] = o.Data
}

func (c *configer) repository(namespace string, raw json.RawMessage) {
	var o struct {
		Spec struct {
			VolumeNamespace       string `json:"volumeNamespace"`
			BackupStorageLocation string `json:"backupStorageLocation"`
			RepositoryType        string `json:"repositoryType"`
		} `json:"spec"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return
	}
	if c.repositories[namespace] == nil {
		c.repositories[namespace] = map[string]bool{}
	}
	if len(c.repositories[namespace]) < 100000 {
		c.repositories[namespace][o.Spec.VolumeNamespace+"-"+o.Spec.BackupStorageLocation+"-"+o.Spec.RepositoryType] = true
	}
}

// names reads the names of a list's objects into *set.
func names(set *map[string]bool) func(io.Reader) error {
	return func(r io.Reader) error {
		if *set == nil {
			*set = map[string]bool{}
		}
		return bundleread.EachListItem(r, func(raw json.RawMessage) {
			var o struct {
				Metadata struct{ Name string } `json:"metadata"`
			}
			if json.Unmarshal(raw, &o) == nil && len(*set) < 100000 {
				(*set)[o.Metadata.Name] = true
			}
		})
	}
}

// read reads the ConfigMaps the flags name, once the first reading is
// over, and returns whether their node selectors need the nodes.
func (c *configer) read(m map[string]bundle.ManifestItem, server string) bool {
	v := veleroconfig.ParseVersion(server)
	if !v.Known() {
		if _, tag, ok := strings.Cut(c.image[strings.LastIndex(c.image, "/")+1:], ":"); ok {
			v = veleroconfig.ParseVersion(tag)
		}
	}
	c.configs, c.matches = make([]veleroconfig.Config, len(c.named)), make([][]int, len(c.named))
	selectors := false
	for i, n := range c.named {
		n.Problems, n.Unchecked = nil, ""
		list := "resources/" + n.Namespace + "/core_v1/configmaps.json"
		it, ok := m[list]
		switch {
		case !ok || it.Status != bundle.StatusOK:
			n.Unchecked = list + " is not in the bundle"
			if ok {
				n.Unchecked = list + ": " + string(it.Status)
				if it.Error != "" {
					n.Unchecked += ": " + it.Error
				}
			}
			continue
		}
		data, found := c.maps[n.Namespace][n.ConfigMap]
		switch {
		case !found:
			n.Problems = []veleroconfig.Problem{{Severity: veleroconfig.Error,
				Message: "no ConfigMap of that name in namespace " + n.Namespace + ": " + veleroconfig.Missing(veleroconfig.Kind(n.Kind), v)}}
			continue
		case data == nil:
			n.Unchecked = "its data is over the bound of what the analysis reads"
			continue
		}
		cfg := veleroconfig.Read(veleroconfig.Kind(n.Kind), data, v)
		if n.Kind == string(veleroconfig.RepoMaintenance) {
			if repos, ok := c.repositories[n.Namespace]; ok || bundleOK(m, "resources/"+n.Namespace+"/velero.io_v1/backuprepositories.json") {
				for _, key := range cfg.RepositoryKeys {
					if !repos[key] {
						cfg.Problems = append(cfg.Problems, veleroconfig.Problem{Severity: veleroconfig.Warning, Key: key,
							Message: "no BackupRepository of the bundle is <volume namespace>-<storage location>-<type> " + key + ": it applies to none yet"})
					}
				}
			}
		}
		c.configs[i] = cfg
		c.matches[i] = make([]int, len(cfg.NodeSelectors))
		selectors = selectors || len(cfg.NodeSelectors) > 0
	}
	return selectors && bundleOK(m, nodesFile)
}

func bundleOK(m map[string]bundle.ManifestItem, p string) bool {
	it, ok := m[p]
	return ok && it.Status == bundle.StatusOK
}

// nodes counts the nodes each selector matches: the second reading of
// the nodes' list.
func (c *configer) nodes(r io.Reader) error {
	return bundleread.EachListItem(r, func(raw json.RawMessage) {
		var o struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return
		}
		set := labels.Set(o.Metadata.Labels)
		for i, cfg := range c.configs {
			for j, s := range cfg.NodeSelectors {
				if s.Selector.Matches(set) {
					c.matches[i][j]++
				}
			}
		}
	})
}

// checks returns the ConfigMaps checked; nodesRead says whether nodes
// counted the selectors' nodes.
func (c *configer) checks(m map[string]bundle.ManifestItem, nodesRead bool) []ConfigCheck {
	known := func(p string, set map[string]bool) map[string]bool {
		if !bundleOK(m, p) {
			return nil
		}
		if set == nil {
			return map[string]bool{} // an empty list
		}
		return set
	}
	cl := veleroconfig.Cluster{StorageClasses: known(storageClassesFile, c.storageClasses), PriorityClasses: known(priorityClassesFile, c.priority)}
	out := make([]ConfigCheck, 0, len(c.named))
	for i, n := range c.named {
		cc := *n
		cc.NamedBy = slices.Clone(n.NamedBy)
		if cc.Unchecked == "" && cc.Problems == nil {
			cl.Matches = nil
			if nodesRead {
				cl.Matches = c.matches[i]
			}
			cc.Problems = c.configs[i].Resolve(cl)
		}
		if cc.Problems == nil {
			cc.Problems = []veleroconfig.Problem{}
		}
		out = append(out, cc)
	}
	order := func(k string) int { return slices.Index(veleroconfig.Kinds, veleroconfig.Kind(k)) }
	slices.SortStableFunc(out, func(a, b ConfigCheck) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return order(a.Kind) - order(b.Kind)
	})
	return out
}

// ConfigurationErrors counts the problems of severity error of r's
// configuration checks: what Velero refuses, or what cannot work.
func (r Report) ConfigurationErrors() int {
	n := 0
	for _, c := range r.Configuration {
		n += veleroconfig.Errors(c.Problems)
	}
	return n
}
