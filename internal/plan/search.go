package plan

import (
	"fmt"
	"path"
	"strings"
)

// Search lists every resource that matches its filters, found by discovery
// when the plan is executed, each (resource, namespace) into its own item
// under Dir, in crashd's layout:
//
//	<Dir>/<group or core>_<version>/<namespace>/<resource>-<time>.json
//	<Dir>/<group or core>_<version>/<resource>-<time>.json   (cluster-scoped)
//
// A list without objects is left out of the bundle. A resource served in
// several versions is listed once, in its group's preferred version when
// that serves it, unless Versions names the versions. Secrets are never
// listed: a Search that names them records a refusal instead.
type Search struct {
	// Groups, Kinds, Versions and Categories select resources: each filter
	// that is set must match. "core" is the legacy group. Kinds match a
	// resource's Kind, plural or singular name, ignoring case.
	Groups     []string `json:"groups,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Versions   []string `json:"versions,omitempty"`
	Categories []string `json:"categories,omitempty"`
	// Namespaces are where namespaced resources are listed; empty for
	// every namespace.
	Namespaces []string `json:"namespaces,omitempty"`
	// Names, when set, keeps only the objects of these names.
	Names []string `json:"names,omitempty"`
	// LabelSelector selects objects on the server.
	LabelSelector string `json:"labelSelector,omitempty"`
	// Logs also fetches, for each list of pods, the log of each of their
	// containers (and the previous log of each that restarted), into
	// SearchLogTemplate(Dir).
	Logs bool `json:"logs,omitempty"`
	// Containers, when set, fetches only the logs of these containers.
	Containers []string `json:"containers,omitempty"`
	// Dir is the bundle folder the lists and logs go under.
	Dir string `json:"dir"`
}

// Command runs local commands, one after the other, into one item: their
// standard output and error. No shell runs them.
type Command struct {
	// Path is the item's path in the bundle.
	Path string `json:"path"`
	// Runs are the commands; several when a script appended to the item.
	Runs []Run `json:"runs"`
}

// Run is one command of a Command step.
type Run struct {
	// Cmd is the command line as the script wrote it, for messages.
	Cmd string `json:"cmd"`
	// Argv is Cmd split into the program and its arguments.
	Argv []string `json:"argv"`
	// Desc, when set, is written before the command's output, on its own
	// line.
	Desc string `json:"desc,omitempty"`
}

// Placeholders of a log path template (Logs.PathTemplate).
const (
	PlaceholderNamespace = "{namespace}"
	PlaceholderPod       = "{pod}"
	PlaceholderContainer = "{container}"
	// PlaceholderLog is <container>.log, or <container>.previous.log for
	// the log of the container's previous instance.
	PlaceholderLog = "{log}"
)

// DefaultLogTemplate is where logs go when a Logs step sets no template.
const DefaultLogTemplate = "logs/{namespace}/{pod}/{log}"

// SearchLogTemplate is where a Search's logs go: crashd's layout,
// <dir>/core_v1/<namespace>/<pod>/<container>/<container>.log.
func SearchLogTemplate(dir string) string {
	return path.Join(dir, "core_v1", PlaceholderNamespace, PlaceholderPod, PlaceholderContainer, PlaceholderLog)
}

// ExpandLogTemplate is the path of a container's log by template; an empty
// template is DefaultLogTemplate.
func ExpandLogTemplate(template, namespace, pod, container string, previous bool) string {
	if template == "" {
		template = DefaultLogTemplate
	}
	name := container + ".log"
	if previous {
		name = container + ".previous.log"
	}
	return strings.NewReplacer(PlaceholderNamespace, namespace, PlaceholderPod, pod,
		PlaceholderContainer, container, PlaceholderLog, name).Replace(template)
}

// SearchTimeFormat is the time in the names of a Search's lists, as crashd
// writes it (a literal Z after local time).
const SearchTimeFormat = "2006-01-02T15-04-05Z.0000"

// SearchObjectsPath is where a Search writes the list of a resource in
// namespace ("" for cluster-scoped), stamped ts (SearchTimeFormat).
func SearchObjectsPath(dir, group, version, namespace, resource, ts string) string {
	if group == "" {
		group = "core"
	}
	return path.Join(dir, group+"_"+version, namespace, resource+"-"+ts+".json")
}

func (s *Search) describe() string {
	var parts []string
	add := func(name string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, fmt.Sprintf("%s %v", name, vs))
		}
	}
	add("groups", s.Groups)
	add("kinds", s.Kinds)
	add("versions", s.Versions)
	add("categories", s.Categories)
	if len(s.Namespaces) > 0 {
		add("in namespaces", s.Namespaces)
	} else {
		parts = append(parts, "in every namespace")
	}
	add("named", s.Names)
	if s.LabelSelector != "" {
		parts = append(parts, "with labels "+s.LabelSelector)
	}
	if s.Logs {
		parts = append(parts, "and the logs of their pods")
		add("of containers", s.Containers)
	}
	return strings.Join(parts, " ")
}

func (c *Command) describe() string {
	cmds := make([]string, len(c.Runs))
	for i, r := range c.Runs {
		cmds[i] = fmt.Sprintf("%q", r.Cmd)
	}
	return strings.Join(cmds, " then ")
}
