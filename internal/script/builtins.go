package script

import (
	"fmt"
	"path"

	"go.starlark.net/starlark"

	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/starlarkargs"
)

// builtinFunc is the Go side of a velero.* builtin.
type builtinFunc func(e *evaluator, thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// member is one member of the velero module, with its documentation.
type member struct {
	// name is the member's name in the module: objects for velero.objects.
	name string
	// signature is how scripts call it, with its defaults; or, for a
	// value, its name and type.
	signature string
	// doc is a paragraph of Markdown.
	doc string
	// fn implements a builtin; nil for a value.
	fn builtinFunc
}

// members are the velero module's members, in the order of the reference.
// The module is built from this table, so every member has its doc.
var members = []member{
	{
		name:      "namespace",
		signature: "velero.namespace: string",
		doc:       "Velero's namespace, from `--namespace`.",
	},
	{
		name:      "backups",
		signature: "velero.backups: list of strings",
		doc:       "The backups named by `--backup`, in order. The list is frozen: `velero.backups + other` makes a new one.",
	},
	{
		name:      "restores",
		signature: "velero.restores: list of strings",
		doc:       "The restores named by `--restore`, in order; frozen like `velero.backups`.",
	},
	{
		name:      "recent_failed",
		signature: "velero.recent_failed: int",
		doc:       "How many of the most recent failed backups, and as many restores, to collect in detail, from `--recent-failed`.",
	},
	{
		name:      "objects",
		signature: `velero.objects(resource, group="", version="", namespace="", all_namespaces=False, names=[], labels="", fields="", keep={}, drop=[], optional=False, path="")`,
		doc: "Lists one resource into one item of the bundle: a JSON List, one object per line. " +
			"`resource` is a plural resource name (`deployments`) or a Kind (`Deployment`); `group` is its API group, empty for the core group; " +
			"`version` is the API version, empty for the group's preferred version. " +
			"`namespace` lists a namespaced resource in that namespace; `all_namespaces = True` lists it in every namespace; neither is for a cluster-scoped resource (the two are exclusive). " +
			"`names` keeps only the objects of these names; `labels` and `fields` are label and field selectors the API server applies (`app=velero`, `metadata.name=default`). " +
			"`keep` maps a dotted field path to `path.Match` patterns: only the objects whose field matches one of the patterns are kept (`{\"spec.group\": [\"*.velero.io\"]}`). " +
			"`drop` are dotted field paths removed from every object (`[\"status.images\"]`). " +
			"Secrets (`secrets` or `Secret` of the core group) are refused: velero-debug never reads them, whatever a script asks. " +
			"An `optional` resource may not be served by the cluster: then the item is skipped, not failed. " +
			"`path` is the item's path in the bundle; empty for `resources/<namespace or _cluster>/<group or core>_<version>/<resource>.json`.",
		fn: (*evaluator).objects,
	},
	{
		name:      "api_group",
		signature: "velero.api_group(group, namespace)",
		doc: "Lists every resource of every served version of an API group, found by discovery, each into its own item at its default path; " +
			"the discovery answer is an item too. Namespaced resources are listed in `namespace`, cluster-scoped ones whole.",
		fn: (*evaluator).apiGroup,
	},
	{
		name:      "logs",
		signature: `velero.logs(namespace, labels="", pods=[], containers=[], previous=True, since="", tail=None, limit_bytes=0, pods_path="")`,
		doc: "Lists the pods of `namespace` into an item and fetches the log of each of their containers into `logs/<namespace>/<pod>/<container>.log`. " +
			"`labels` selects the pods; `pods` and `containers`, when given, keep only these names. " +
			"`previous` also fetches the previous log of each container that restarted, into `<container>.previous.log`. " +
			"`since` (a duration: `\"20m\"`), `tail` (a number of lines; `-1` keeps them all) and `limit_bytes` bound each log; " +
			"left out (`since = \"\"`, `tail = None`, `limit_bytes = 0`) they take the run's `--since`, `--tail` and `--limit-bytes`. " +
			"`pods_path` is where the pod list goes; empty for its default path.",
		fn: (*evaluator).logs,
	},
	{
		name:      "cluster_version",
		signature: "velero.cluster_version()",
		doc:       "Writes the Kubernetes version of the cluster, `cluster/version.json`.",
		fn:        (*evaluator).clusterVersion,
	},
	{
		name:      "server_version",
		signature: "velero.server_version(namespace=velero.namespace)",
		doc: "Asks the Velero server in `namespace` for its version and plugins (a ServerStatusRequest) and writes `velero/version.json`, " +
			"with the images of Velero's workloads.",
		fn: (*evaluator).serverVersion,
	},
	{
		name:      "backup",
		signature: "velero.backup(name, namespace=velero.namespace)",
		doc: "Collects one backup in detail into `backups/<name>/`: the Backup object, its files in object storage " +
			"(log, results, resource list...) through DownloadRequests, and a description. " +
			"Asking twice for the same backup collects it once.",
		fn: (*evaluator).backup,
	},
	{
		name:      "restore",
		signature: "velero.restore(name, namespace=velero.namespace)",
		doc:       "Collects one restore in detail into `restores/<name>/`, like `velero.backup`. Asking twice for the same restore collects it once.",
		fn:        (*evaluator).restore,
	},
	{
		name:      "recent_failed_backups",
		signature: "velero.recent_failed_backups(n, namespace=velero.namespace)",
		doc: "Collects in detail, each like `velero.backup`, the `n` most recent Failed, PartiallyFailed or FailedValidation backups (newest first, by start). " +
			"They are found while the collection lists the backups (the list of `velero.api_group(\"velero.io\")` in that namespace, when the plan has it), " +
			"so the list is read once; a backup also named by `velero.backup` is collected once. `n` is at most 100; `n <= 0` collects none.",
		fn: (*evaluator).recentFailedBackups,
	},
	{
		name:      "recent_failed_restores",
		signature: "velero.recent_failed_restores(n, namespace=velero.namespace)",
		doc:       "Collects in detail the `n` most recent Failed, PartiallyFailed or FailedValidation restores, like `velero.recent_failed_backups`.",
		fn:        (*evaluator).recentFailedRestores,
	},
	{
		name:      "volume_failures",
		signature: "velero.volume_failures(namespace=velero.namespace)",
		doc:       "Writes `velero/volume-failures.md`: each failed volume backup or restore of the Velero in `namespace`, with its node and that node's node-agent pod.",
		fn:        (*evaluator).volumeFailures,
	},
	{
		name:      "file",
		signature: "velero.file(path, content)",
		doc: "Writes the string `content` into the bundle as the text file `path`: notes, or what a script computed (`json.encode` makes JSON). " +
			"A file holds at most 4 MiB, and the files of all scripts 64 MiB; a plan holds at most 10,000 steps.",
		fn: (*evaluator).file,
	},
	{
		name:      "recent_failures",
		signature: "velero.recent_failures(resource, n)",
		doc: "Returns the names of the `n` most recent Failed, PartiallyFailed or FailedValidation `\"backups\"` or `\"restores\"` (the `resource`), newest first. " +
			"This is the one builtin that asks the cluster while the script runs: once per resource, for the 100 most recent, so asking again costs nothing. " +
			"`n` is at most 100; `n <= 0` returns `[]` without asking. When the cluster cannot answer, the script goes on with `[]` and the bundle records the error as " +
			"`<resource>/recent-failures.json`.",
		fn: (*evaluator).recentFailuresBuiltin,
	},
}

// Parameters that name bundle paths.
const (
	paramPath     = "path"
	paramPodsPath = "pods_path"
)

func (e *evaluator) objects(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		o           plan.Objects
		names, drop starlarkargs.Strings
		keep        *starlark.Dict
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs,
		"resource", &o.Resource,
		"group?", &o.Group,
		"version?", &o.Version,
		"namespace?", &o.Namespace,
		"all_namespaces?", &o.AllNamespaces,
		"names?", &names,
		"labels?", &o.LabelSelector,
		"fields?", &o.FieldSelector,
		"keep?", &keep,
		"drop?", &drop,
		"optional?", &o.Optional,
		"path?", &o.Path,
	); err != nil {
		return nil, err
	}
	if err := checkResource(b, o.Resource); err != nil {
		return nil, err
	}
	if err := checkGroup(b, o.Group); err != nil {
		return nil, err
	}
	if err := checkNotSecrets(b, o.Group, o.Resource); err != nil {
		return nil, err
	}
	if err := checkVersion(b, o.Version); err != nil {
		return nil, err
	}
	if o.Namespace != "" {
		if o.AllNamespaces {
			return nil, fmt.Errorf("%s: namespace and all_namespaces are exclusive: give one, or neither for a cluster-scoped resource", b.Name())
		}
		if err := checkNamespace(b, "namespace", o.Namespace); err != nil {
			return nil, err
		}
	}
	if err := checkNames(b, "names", names); err != nil {
		return nil, err
	}
	if err := checkLabels(b, o.LabelSelector); err != nil {
		return nil, err
	}
	if err := checkFields(b, o.FieldSelector); err != nil {
		return nil, err
	}
	k, err := keepMap(b, keep)
	if err != nil {
		return nil, err
	}
	for _, p := range drop {
		if err := checkFieldPath(p); err != nil {
			return nil, paramError(b, "drop", "%v", err)
		}
	}
	if o.Path != "" {
		if err := checkBundlePath(b, paramPath, o.Path); err != nil {
			return nil, err
		}
	}
	if err := e.claimPath(thread, b, paramPath, o.Path); err != nil {
		return nil, err
	}
	if len(names) > 0 {
		o.Names = names
	}
	if len(drop) > 0 {
		o.Drop = drop
	}
	o.Keep = k
	return starlark.None, e.record(thread, plan.Step{Objects: &o})
}

// keepMap checks and converts the keep parameter of velero.objects.
func keepMap(b *starlark.Builtin, keep *starlark.Dict) (map[string][]string, error) {
	if keep == nil || keep.Len() == 0 {
		return nil, nil
	}
	m := make(map[string][]string, keep.Len())
	for _, item := range keep.Items() {
		field, ok := starlark.AsString(item[0])
		if !ok {
			return nil, paramError(b, "keep", "key %s is %s, want a dotted field path string", item[0], item[0].Type())
		}
		if err := checkFieldPath(field); err != nil {
			return nil, paramError(b, "keep", "%v", err)
		}
		var patterns starlarkargs.Strings
		if err := patterns.Unpack(item[1]); err != nil {
			return nil, paramError(b, "keep", "%q: %v", field, err)
		}
		if len(patterns) == 0 {
			return nil, paramError(b, "keep", "%q: no patterns: give at least one, or leave the field out", field)
		}
		for _, p := range patterns {
			if _, err := path.Match(p, ""); err != nil {
				return nil, paramError(b, "keep", "%q: %q is not a path.Match pattern: %v", field, p, err)
			}
		}
		m[field] = patterns
	}
	return m, nil
}

func (e *evaluator) apiGroup(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var g plan.APIGroup
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "group", &g.Group, "namespace", &g.Namespace); err != nil {
		return nil, err
	}
	if g.Group == "" {
		return nil, paramError(b, "group", "must not be empty (the core group has no discovery of its own: list its resources with velero.objects)")
	}
	if err := checkGroup(b, g.Group); err != nil {
		return nil, err
	}
	if err := checkNamespace(b, "namespace", g.Namespace); err != nil {
		return nil, err
	}
	return starlark.None, e.record(thread, plan.Step{APIGroup: &g})
}

func (e *evaluator) logs(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		l                = plan.Logs{Previous: true}
		pods, containers starlarkargs.Strings
		since            string
		tail             tailArg
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs,
		"namespace", &l.Namespace,
		"labels?", &l.LabelSelector,
		"pods?", &pods,
		"containers?", &containers,
		"previous?", &l.Previous,
		"since?", &since,
		"tail??", &tail,
		"limit_bytes?", &l.LimitBytes,
		"pods_path?", &l.PodsPath,
	); err != nil {
		return nil, err
	}
	if err := checkNamespace(b, "namespace", l.Namespace); err != nil {
		return nil, err
	}
	if err := checkLabels(b, l.LabelSelector); err != nil {
		return nil, err
	}
	if err := checkNames(b, "pods", pods); err != nil {
		return nil, err
	}
	if err := checkContainers(b, "containers", containers); err != nil {
		return nil, err
	}
	var err error
	if l.Since, err = parseDuration(b, "since", since); err != nil {
		return nil, err
	}
	if tail.set {
		if tail.n < -1 {
			return nil, paramError(b, "tail", "%d: want None for the run's, -1 for every line, or a number of lines", tail.n)
		}
		l.Tail = &tail.n
	}
	if l.LimitBytes < 0 {
		return nil, paramError(b, "limit_bytes", "%d must not be negative", l.LimitBytes)
	}
	if l.PodsPath != "" {
		if err := checkBundlePath(b, paramPodsPath, l.PodsPath); err != nil {
			return nil, err
		}
	}
	if err := e.claimPath(thread, b, paramPodsPath, l.PodsPath); err != nil {
		return nil, err
	}
	if len(pods) > 0 {
		l.Pods = pods
	}
	if len(containers) > 0 {
		l.Containers = containers
	}
	return starlark.None, e.record(thread, plan.Step{Logs: &l})
}

func (e *evaluator) clusterVersion(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.None, e.record(thread, plan.Step{ClusterVersion: &plan.ClusterVersion{}})
}

// namespaceArg unpacks the one optional parameter, namespace, of the
// builtins that default to velero.namespace.
func (e *evaluator) namespaceArg(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (string, error) {
	ns := e.opts.Settings.Namespace
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "namespace??", &ns); err != nil {
		return "", err
	}
	return ns, checkNamespace(b, "namespace", ns)
}

func (e *evaluator) serverVersion(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	ns, err := e.namespaceArg(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	// The server of a namespace is asked once, whoever asks.
	if e.servers[ns] {
		return starlark.None, nil
	}
	e.servers[ns] = true
	return starlark.None, e.record(thread, plan.Step{ServerVersion: &plan.ServerVersion{Namespace: ns}})
}

func (e *evaluator) volumeFailures(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	ns, err := e.namespaceArg(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	return starlark.None, e.record(thread, plan.Step{VolumeFailures: &plan.VolumeFailures{Namespace: ns}})
}

func (e *evaluator) backup(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return e.detail(plan.Backup, thread, b, args, kwargs)
}

func (e *evaluator) restore(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return e.detail(plan.Restore, thread, b, args, kwargs)
}

// detail records a Detail of kind, once: the default plan asks for the
// backups of --backup and the recent failures, which may be the same.
func (e *evaluator) detail(kind string, thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	d := plan.Detail{Kind: kind, Namespace: e.opts.Settings.Namespace}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &d.Name, "namespace??", &d.Namespace); err != nil {
		return nil, err
	}
	if err := checkName(b, "name", d.Name); err != nil {
		return nil, err
	}
	if err := checkNamespace(b, "namespace", d.Namespace); err != nil {
		return nil, err
	}
	if e.details[d] {
		return starlark.None, nil
	}
	e.details[d] = true
	return starlark.None, e.record(thread, plan.Step{Detail: &d})
}

func (e *evaluator) recentFailedBackups(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return e.recentFailed(plan.Backup, thread, b, args, kwargs)
}

func (e *evaluator) recentFailedRestores(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return e.recentFailed(plan.Restore, thread, b, args, kwargs)
}

// recentFailed records a RecentFailed step of kind.
func (e *evaluator) recentFailed(kind string, thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	r := plan.RecentFailed{Kind: kind, Namespace: e.opts.Settings.Namespace}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "n", &r.N, "namespace??", &r.Namespace); err != nil {
		return nil, err
	}
	if r.N > maxRecent {
		return nil, paramError(b, "n", "%d: at most %d", r.N, maxRecent)
	}
	if err := checkNamespace(b, "namespace", r.Namespace); err != nil {
		return nil, err
	}
	if r.N <= 0 {
		return starlark.None, nil
	}
	return starlark.None, e.record(thread, plan.Step{RecentFailed: &r})
}

func (e *evaluator) file(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var f plan.File
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &f.Path, "content", &f.Content); err != nil {
		return nil, err
	}
	if err := checkBundlePath(b, paramPath, f.Path); err != nil {
		return nil, err
	}
	if len(f.Content) > maxFileBytes {
		return nil, paramError(b, "content", "%d bytes: a file from a script holds at most %d", len(f.Content), maxFileBytes)
	}
	if e.fileBytes += len(f.Content); e.fileBytes > maxFilesBytes {
		return nil, paramError(b, "content", "the files from scripts hold more than %d bytes in all", maxFilesBytes)
	}
	if err := e.claimPath(thread, b, paramPath, f.Path); err != nil {
		return nil, err
	}
	return starlark.None, e.record(thread, plan.Step{File: &f})
}

func (e *evaluator) recentFailuresBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		resource string
		n        int
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "resource", &resource, "n", &n); err != nil {
		return nil, err
	}
	if resource != "backups" && resource != "restores" {
		return nil, paramError(b, "resource", "%q: want \"backups\" or \"restores\"", resource)
	}
	if n <= 0 {
		return starlark.NewList(nil), nil
	}
	names, err := e.recentFailures(resource, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return stringList(names), nil
}
