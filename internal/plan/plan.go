// Package plan is what a collection does, as data: the steps a Starlark
// script records and the collector executes. A plan does no I/O; it can be
// printed (a dry run), compared with a golden file, and checked against
// the user's rights before anything is collected.
//
// Steps name what to collect and where it goes in the bundle. The
// collector decides how: concurrency, paging, redaction and the bundle
// writer are its business, not the plan's.
package plan

import (
	"fmt"
	"path"
	"time"
)

// Plan is an ordered list of steps.
type Plan struct {
	// Steps are what to collect, in the order the script asked.
	Steps []Step `json:"steps"`
	// Failures are lookups the script made that failed: each becomes an
	// item of the bundle with its error, and the run goes on.
	Failures []Failure `json:"failures,omitempty"`
	// Scripts are the names of the scripts that made the plan.
	Scripts []string `json:"scripts"`
}

// Step is one thing to collect. Exactly one field is set.
type Step struct {
	Objects        *Objects        `json:"objects,omitempty"`
	APIGroup       *APIGroup       `json:"apiGroup,omitempty"`
	Logs           *Logs           `json:"logs,omitempty"`
	ClusterVersion *ClusterVersion `json:"clusterVersion,omitempty"`
	ServerVersion  *ServerVersion  `json:"serverVersion,omitempty"`
	Detail         *Detail         `json:"detail,omitempty"`
	RecentFailed   *RecentFailed   `json:"recentFailed,omitempty"`
	VolumeFailures *VolumeFailures `json:"volumeFailures,omitempty"`
	File           *File           `json:"file,omitempty"`
	Search         *Search         `json:"search,omitempty"`
	Command        *Command        `json:"command,omitempty"`
	// Script and Line say which script line recorded the step.
	Script string `json:"script,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Objects lists one resource into one item: a JSON List, one object per
// line.
type Objects struct {
	// Group is the API group; empty for the core group.
	Group string `json:"group,omitempty"`
	// Version is the API version; empty for the group's preferred version.
	Version string `json:"version,omitempty"`
	// Resource is the plural resource name (deployments), or a Kind
	// (Deployment) that discovery turns into one.
	Resource string `json:"resource"`
	// Namespace is where to list a namespaced resource; empty for a
	// cluster-scoped one, or for every namespace when AllNamespaces is set.
	Namespace     string `json:"namespace,omitempty"`
	AllNamespaces bool   `json:"allNamespaces,omitempty"`
	// Names, when set, keeps only the objects of these names.
	Names []string `json:"names,omitempty"`
	// LabelSelector and FieldSelector select objects on the server.
	LabelSelector string `json:"labelSelector,omitempty"`
	FieldSelector string `json:"fieldSelector,omitempty"`
	// Keep, when set, keeps only the objects whose field at each path (dot
	// separated: spec.group) matches one of its patterns (path.Match
	// syntax: *.velero.io).
	Keep map[string][]string `json:"keep,omitempty"`
	// Drop are fields removed from each object (dot separated:
	// status.images).
	Drop []string `json:"drop,omitempty"`
	// Optional resources may not be served: then the item is skipped, not
	// failed.
	Optional bool `json:"optional,omitempty"`
	// Path is the item's path in the bundle; empty for the default,
	// resources/<namespace or _cluster>/<group or core>_<version>/<resource>.json.
	Path string `json:"path,omitempty"`
}

// APIGroup lists every resource of every served version of an API group,
// found by discovery, each into its own item at its default path; the
// discovery answer is an item too.
type APIGroup struct {
	Group string `json:"group"`
	// Namespace is where namespaced resources are listed; cluster-scoped
	// ones are listed whole.
	Namespace string `json:"namespace"`
}

// Logs lists the pods of a namespace into an item and fetches the logs of
// their containers, each into logs/<namespace>/<pod>/<container>.log.
type Logs struct {
	Namespace string `json:"namespace"`
	// LabelSelector selects the pods; empty for all.
	LabelSelector string `json:"labelSelector,omitempty"`
	// Pods and Containers, when set, keep only these names.
	Pods       []string `json:"pods,omitempty"`
	Containers []string `json:"containers,omitempty"`
	// Previous fetches, besides the current log, the previous log of each
	// container that restarted.
	Previous bool `json:"previous"`
	// Since, Tail and LimitBytes bound each log; zero values take the
	// run's (--since, --tail, --limit-bytes). Tail -1 keeps all lines.
	Since      time.Duration `json:"since,omitempty"`
	Tail       *int64        `json:"tail,omitempty"`
	LimitBytes int64         `json:"limitBytes,omitempty"`
	// PodsPath is where the pod list goes; empty for the default path.
	PodsPath string `json:"podsPath,omitempty"`
	// PathTemplate is where each log goes, with the placeholders
	// {namespace}, {pod}, {container} and {log} (<container>.log or
	// <container>.previous.log); empty for DefaultLogTemplate.
	PathTemplate string `json:"pathTemplate,omitempty"`
}

// ClusterVersion writes the Kubernetes version, cluster/version.json.
type ClusterVersion struct{}

// ServerVersion asks the Velero server for its version and plugins
// (a ServerStatusRequest) and writes velero/version.json with the images of
// Velero's workloads.
type ServerVersion struct {
	Namespace string `json:"namespace"`
}

// Detail collects one backup or restore in detail: the object, its files
// in object storage (log, results, resource list...) through
// DownloadRequests, and a description, in backups/<name>/ or
// restores/<name>/.
type Detail struct {
	// Kind is "backup" or "restore".
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// RecentFailed collects in detail, each as a Detail, the N most recent
// Failed, PartiallyFailed or FailedValidation backups or restores of a namespace (newest
// first, by start): found while the collection lists them, so that the
// list is read once.
type RecentFailed struct {
	// Kind is "backup" or "restore".
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	N         int    `json:"n"`
}

// Resource is the plural resource of a RecentFailed's kind.
func (r RecentFailed) Resource() string { return r.Kind + "s" }

// VolumeFailures writes velero/volume-failures.md: each failed volume
// operation with its node and that node's node-agent pod.
type VolumeFailures struct {
	Namespace string `json:"namespace"`
}

// File is a text file a script wrote.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Failure is a lookup that failed while the plan was made.
type Failure struct {
	Path   string `json:"path"`
	Source string `json:"source"`
	Error  string `json:"error"`
}

// Kinds of Detail.
const (
	Backup  = "backup"
	Restore = "restore"
)

// Resource is the plural resource of a Detail's kind.
func (d Detail) Resource() string { return d.Kind + "s" }

// Dir is the folder of a Detail in the bundle.
func (d Detail) Dir() string { return path.Join(d.Resource(), d.Name) }

// ObjectsPath is the default path of a list of resource in namespace
// ("" for cluster-scoped): resources/<namespace or _cluster>/<group or
// core>_<version>/<resource>.json.
func ObjectsPath(namespace, group, version, resource string) string {
	if group == "" {
		group = "core"
	}
	if namespace == "" {
		namespace = "_cluster"
	}
	return path.Join("resources", namespace, group+"_"+version, resource+".json")
}

// LogPath is where the log of a container goes by default.
func LogPath(namespace, pod, container string, previous bool) string {
	return ExpandLogTemplate(DefaultLogTemplate, namespace, pod, container, previous)
}

// Kind names the kind of a step, for messages and dry runs.
func (s Step) Kind() string {
	switch {
	case s.Objects != nil:
		return "objects"
	case s.APIGroup != nil:
		return "api-group"
	case s.Logs != nil:
		return "logs"
	case s.ClusterVersion != nil:
		return "cluster-version"
	case s.ServerVersion != nil:
		return "server-version"
	case s.Detail != nil:
		return s.Detail.Kind
	case s.RecentFailed != nil:
		return "recent-failed-" + s.RecentFailed.Resource()
	case s.VolumeFailures != nil:
		return "volume-failures"
	case s.File != nil:
		return "file"
	case s.Search != nil:
		return "search"
	case s.Command != nil:
		return "command"
	}
	return "empty"
}

// String says what a step collects and where it goes, in one line.
func (s Step) String() string {
	switch {
	case s.Objects != nil:
		o := s.Objects
		return fmt.Sprintf("list %s → %s", o.describe(), o.where())
	case s.APIGroup != nil:
		return fmt.Sprintf("list every resource of API group %s in namespace %s → resources/%s/…", s.APIGroup.Group, s.APIGroup.Namespace, s.APIGroup.Namespace)
	case s.Logs != nil:
		return fmt.Sprintf("logs of %s → %s", s.Logs.describe(), ExpandLogTemplate(s.Logs.PathTemplate, s.Logs.Namespace, "<pod>", "<container>", false))
	case s.ClusterVersion != nil:
		return "Kubernetes version → cluster/version.json"
	case s.ServerVersion != nil:
		return fmt.Sprintf("Velero server version and plugins (namespace %s) → velero/version.json", s.ServerVersion.Namespace)
	case s.Detail != nil:
		d := s.Detail
		return fmt.Sprintf("%s %s/%s, its files in object storage and a description → %s/", d.Kind, d.Namespace, d.Name, d.Dir())
	case s.RecentFailed != nil:
		r := s.RecentFailed
		return fmt.Sprintf("the %d most recent failed (wholly, partially or in validation) %s of namespace %s, each in detail like a %s step → %s/<name>/", r.N, r.Resource(), r.Namespace, r.Kind, r.Resource())
	case s.VolumeFailures != nil:
		return fmt.Sprintf("failed volume operations and their node-agents (namespace %s) → velero/volume-failures.md", s.VolumeFailures.Namespace)
	case s.File != nil:
		return fmt.Sprintf("a file of %d bytes from a script → %s", len(s.File.Content), s.File.Path)
	case s.Search != nil:
		return fmt.Sprintf("list the resources of %s → %s/<group>_<version>/…", s.Search.describe(), s.Search.Dir)
	case s.Command != nil:
		return fmt.Sprintf("run %s → %s", s.Command.describe(), s.Command.Path)
	}
	return "nothing"
}

func (o *Objects) describe() string {
	s := o.Resource
	if o.Group != "" {
		s += "." + o.Group
	}
	if o.Version != "" {
		s += "/" + o.Version
	}
	switch {
	case o.AllNamespaces:
		s += " in every namespace"
	case o.Namespace != "":
		s += " in namespace " + o.Namespace
	}
	if len(o.Names) > 0 {
		s += fmt.Sprintf(" named %v", o.Names)
	}
	if o.LabelSelector != "" {
		s += " with labels " + o.LabelSelector
	}
	if o.FieldSelector != "" {
		s += " with fields " + o.FieldSelector
	}
	return s
}

func (o *Objects) where() string {
	if o.Path != "" {
		return o.Path
	}
	ns := o.Namespace
	if o.AllNamespaces {
		ns = "_all"
	}
	v := o.Version
	if v == "" {
		v = "<preferred version>"
	}
	return ObjectsPath(ns, o.Group, v, o.Resource)
}

func (l *Logs) describe() string {
	s := "pods in namespace " + l.Namespace
	if l.LabelSelector != "" {
		s += " with labels " + l.LabelSelector
	}
	if len(l.Pods) > 0 {
		s += fmt.Sprintf(" named %v", l.Pods)
	}
	if len(l.Containers) > 0 {
		s += fmt.Sprintf(", containers %v", l.Containers)
	}
	if l.Previous {
		s += ", previous logs too"
	}
	return s
}
