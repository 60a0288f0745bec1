package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// describe writes describe.txt of d: what `velero backup describe
// --details` (or restore) says, rendered in-process from the object, its
// downloaded results, resource list, item operations and volume infos, and
// the pod volume and data-mover objects that name it, each with the node
// and node-agent pod that handled it.
func (r *run) describe(ctx context.Context, d detailed, caps *captures) error {
	item := bundle.Item{Path: describePath(d.namedObject), Type: "describe",
		Source: fmt.Sprintf("the %s, its files in object storage and its volume operations", d.kind)}
	en, err := r.open(item) // its volume operations may wait on lists
	if err != nil {
		return err
	}
	var b textBuilder
	o := d.obj.Object
	b.field("Name", d.name)
	b.field("Namespace", d.namespace)
	b.mapField("Labels", d.obj.GetLabels())
	b.mapField("Annotations", d.obj.GetAnnotations())
	b.line("")
	b.field("Phase", str(o, "status", "phase"))
	b.optional("Failure reason", str(o, "status", "failureReason"))
	b.list("Validation errors", strs(o, "status", "validationErrors"))
	b.field("Errors", num(o, "status", "errors"))
	b.field("Warnings", num(o, "status", "warnings"))
	resultsTarget := veleroapi.BackupResults
	if d.resource == "restores" {
		resultsTarget = veleroapi.RestoreResults
	}
	b.results(caps.get(resultsTarget), caps.missing(resultsTarget), o)
	b.line("")
	if d.resource == "backups" {
		describeBackupSpec(&b, o)
	} else {
		describeRestoreSpec(&b, o)
	}
	b.line("")
	b.field("Started", str(o, "status", "startTimestamp"))
	b.field("Completed", str(o, "status", "completionTimestamp"))
	b.optional("Expiration", str(o, "status", "expiration"))
	b.progress(o)
	b.line("")
	ops, list := veleroapi.BackupItemOperations, veleroapi.BackupResourceList
	if d.resource == "restores" {
		ops, list = veleroapi.RestoreItemOperations, veleroapi.RestoreResourceList
	}
	b.itemOperations(caps.get(ops), caps.missing(ops))
	b.resourceList(caps.get(list), caps.missing(list))
	if d.resource == "backups" {
		b.volumeInfos(caps.get(veleroapi.BackupVolumeInfos), caps.missing(veleroapi.BackupVolumeInfos))
	}
	r.describeVolumes(ctx, &b, d)
	return writeAll(en, []byte(b.String()))
}

// scope writes the namespaces and resources a backup or restore includes.
func (b *textBuilder) scope(o map[string]any) {
	b.section("Namespaces")
	b.indented("Included", orAll(strs(o, "spec", "includedNamespaces")))
	b.indented("Excluded", orNone(strs(o, "spec", "excludedNamespaces")))
	b.section("Resources")
	b.indented("Included", orAll(strs(o, "spec", "includedResources")))
	b.indented("Excluded", orNone(strs(o, "spec", "excludedResources")))
}

func describeBackupSpec(b *textBuilder, o map[string]any) {
	b.scope(o)
	b.indented("Cluster-scoped", boolOr(o, "auto", "spec", "includeClusterResources"))
	b.field("Label selector", jsonOr(o, "<none>", "spec", "labelSelector"))
	b.field("Storage Location", str(o, "spec", "storageLocation"))
	b.field("Volume Snapshot Locations", orNone(strs(o, "spec", "volumeSnapshotLocations")))
	b.field("Velero-Native Snapshot PVs", boolOr(o, "auto", "spec", "snapshotVolumes"))
	b.field("File System Backup (default)", boolOr(o, "false", "spec", "defaultVolumesToFsBackup"))
	b.field("Snapshot Move Data", boolOr(o, "false", "spec", "snapshotMoveData"))
	b.field("TTL", str(o, "spec", "ttl"))
	b.field("CSISnapshotTimeout", str(o, "spec", "csiSnapshotTimeout"))
	b.field("ItemOperationTimeout", str(o, "spec", "itemOperationTimeout"))
	b.hooks(o)
	b.field("Backup Format Version", str(o, "status", "formatVersion"))
}

func describeRestoreSpec(b *textBuilder, o map[string]any) {
	b.field("Backup", str(o, "spec", "backupName"))
	b.optional("Schedule", str(o, "spec", "scheduleName"))
	b.scope(o)
	b.field("Namespace mappings", jsonOr(o, "<none>", "spec", "namespaceMapping"))
	b.field("Label selector", jsonOr(o, "<none>", "spec", "labelSelector"))
	b.field("Restore PVs", boolOr(o, "auto", "spec", "restorePVs"))
	b.field("Existing Resource Policy", str(o, "spec", "existingResourcePolicy"))
}

// describeVolumes lists the pod volume and data-mover objects that name d,
// with the node and node-agent pod that handled each.
func (r *run) describeVolumes(ctx context.Context, b *textBuilder, d detailed) {
	kinds := []string{"podvolumebackups", "datauploads"}
	if d.resource == "restores" {
		kinds = []string{"podvolumerestores", "datadownloads"}
	}
	agents, _ := r.nodeAgents(ctx, d.namespace)
	b.section("Volume operations (pod volume and data mover)")
	found := false
	owner := veleroapi.OwnerLabel(d.name)
	for _, res := range kinds {
		for _, k := range volumeKinds {
			if k.Resource != res {
				continue
			}
			ops, err := r.ownerVolumeOps(ctx, d, k.Resource, k.Version, k.Label)
			if err != nil {
				b.line(fmt.Sprintf("  %s: cannot list: %v", res, err))
			}
			for _, op := range ops {
				if op.owner != owner {
					continue
				}
				found = true
				line := fmt.Sprintf("  %s %s: %s on node %s", res, op.name, orDash(op.phase), orDash(op.node))
				if pod := agents[op.node]; pod != "" {
					line += fmt.Sprintf(" (node-agent pod %s, log logs/%s/%s/node-agent.log)", pod, d.namespace, pod)
				}
				b.line(line)
				if op.message != "" {
					b.line("    message: " + op.message)
				}
			}
		}
	}
	if !found {
		b.line("  <none>")
	}
}

// textBuilder writes aligned "Key:  value" text.
type textBuilder struct{ strings.Builder }

func (b *textBuilder) line(s string)    { _, _ = b.WriteString(s + "\n") } // a strings.Builder never fails
func (b *textBuilder) section(s string) { b.line(s + ":") }

func (b *textBuilder) field(k, v string) {
	if v == "" {
		v = "<none>"
	}
	fmt.Fprintf(b, "%-30s %s\n", k+":", v)
}

func (b *textBuilder) indented(k, v string) { fmt.Fprintf(b, "  %-28s %s\n", k+":", v) }

func (b *textBuilder) optional(k, v string) {
	if v != "" {
		b.field(k, v)
	}
}

func (b *textBuilder) list(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	b.section(k)
	for _, v := range vs {
		b.line("  - " + v)
	}
}

func (b *textBuilder) mapField(k string, m map[string]string) {
	keys := make([]string, 0, len(m))
	for key := range m {
		if key == "kubectl.kubernetes.io/last-applied-configuration" {
			continue // a copy of the object, and may hold what should not be copied
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		b.field(k, "<none>")
		return
	}
	for i, key := range keys {
		label := ""
		if i == 0 {
			label = k + ":"
		}
		fmt.Fprintf(b, "%-30s %s=%s\n", label, key, m[key])
	}
}

// results renders results.json: {"errors": {...}, "warnings": {...}};
// missing says why it is not at hand, and o's counts whether that hides
// messages.
func (b *textBuilder) results(data []byte, missing string, o map[string]any) {
	if data == nil {
		if counted(o, "errors") || counted(o, "warnings") {
			b.line("Results: <" + missing + ">: the messages of the errors and warnings above are not in this bundle")
		}
		return
	}
	var res map[string]struct {
		Velero     []string            `json:"velero"`
		Cluster    []string            `json:"cluster"`
		Namespaces map[string][]string `json:"namespaces"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		b.line("Results: cannot read results.json: " + err.Error())
		return
	}
	for _, kind := range []string{"errors", "warnings"} {
		r := res[kind]
		if len(r.Velero)+len(r.Cluster)+len(r.Namespaces) == 0 {
			if counted(o, kind) {
				b.line(fmt.Sprintf("%s: results.json names none of the %s counted above", strings.ToUpper(kind[:1])+kind[1:], kind))
			}
			continue
		}
		b.section(strings.ToUpper(kind[:1]) + kind[1:] + " (results.json)")
		for _, m := range r.Velero {
			b.line("  Velero:     " + m)
		}
		for _, m := range r.Cluster {
			b.line("  Cluster:    " + m)
		}
		nss := make([]string, 0, len(r.Namespaces))
		for ns := range r.Namespaces {
			nss = append(nss, ns)
		}
		sort.Strings(nss)
		for _, ns := range nss {
			for _, m := range r.Namespaces[ns] {
				b.line("  Namespace " + ns + ": " + m)
			}
		}
	}
}

func (b *textBuilder) progress(o map[string]any) {
	if total := num(o, "status", "progress", "totalItems"); total != "" {
		b.field("Total items", total)
	}
	for _, f := range []string{"itemsBackedUp", "itemsRestored"} {
		if n := num(o, "status", "progress", f); n != "" {
			b.field("Items done", n)
		}
	}
	b.optional("Hooks attempted", num(o, "status", "hookStatus", "hooksAttempted"))
	b.optional("Hooks failed", num(o, "status", "hookStatus", "hooksFailed"))
}

func (b *textBuilder) hooks(o map[string]any) {
	hooks, _, _ := unstructured.NestedSlice(o, "spec", "hooks", "resources")
	if len(hooks) == 0 {
		b.field("Hooks", "<none>")
		return
	}
	b.section("Hooks")
	for _, h := range hooks {
		m, _ := h.(map[string]any)
		b.line(fmt.Sprintf("  %s: namespaces %s", text(m["name"]), orAll(strs(m, "includedNamespaces"))))
		for _, when := range []string{"pre", "post"} {
			steps, _ := m[when].([]any)
			for _, s := range steps {
				step, _ := s.(map[string]any)
				exec, _ := step["exec"].(map[string]any)
				b.line(fmt.Sprintf("    %s exec in %s: %s (onError %s, timeout %s)", when, orDash(text(exec["container"])), text(exec["command"]),
					orDash(text(exec["onError"])), orDash(text(exec["timeout"]))))
			}
		}
	}
}

func (b *textBuilder) itemOperations(data []byte, missing string) {
	var ops []map[string]any
	if !b.decoded("Item operations", "item-operations.json", data, missing, &ops) {
		return
	}
	if len(ops) == 0 {
		b.field("Item operations", "<none>")
		return
	}
	b.section("Item operations")
	for _, op := range ops {
		spec, _ := op["spec"].(map[string]any)
		status, _ := op["status"].(map[string]any)
		line := fmt.Sprintf("  %s %s: %s", text(spec["resourceIdentifier"]), text(spec["operationID"]), orDash(text(status["phase"])))
		if e := text(status["error"]); e != "" {
			line += ": " + e
		}
		b.line(line)
	}
}

func (b *textBuilder) resourceList(data []byte, missing string) {
	var list map[string][]string
	if !b.decoded("Resource list", "resource-list.json", data, missing, &list) {
		return
	}
	b.section("Resource list")
	kinds := make([]string, 0, len(list))
	for k := range list {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		b.line("  " + k + ":")
		for _, n := range list[k] {
			b.line("    - " + n)
		}
	}
}

func (b *textBuilder) volumeInfos(data []byte, missing string) {
	var infos []map[string]any
	if !b.decoded("Volumes (volume-info.json)", "volume-info.json", data, missing, &infos) {
		return
	}
	b.section("Volumes (volume-info.json)")
	if len(infos) == 0 {
		b.line("  <none>")
	}
	for _, v := range infos {
		b.line(fmt.Sprintf("  %s/%s (PV %s): %s, result %s", text(v["pvcNamespace"]), text(v["pvcName"]), orDash(text(v["pvName"])),
			orDash(text(v["backupMethod"])), orDash(text(v["result"]))))
	}
}

// decoded decodes data, the downloaded file, into v; when it cannot, it
// writes field with why (missing, when the file is not at hand) and
// returns false.
func (b *textBuilder) decoded(field, file string, data []byte, missing string, v any) bool {
	switch {
	case data == nil:
		b.field(field, "<"+missing+">")
		return false
	case json.Unmarshal(data, v) != nil:
		b.field(field, "<"+file+" cannot be read>")
		return false
	}
	return true
}

// text is a JSON value as text: "" for null or missing, never "<nil>".
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		// As JSON, which shows where each argument of a command ends;
		// without HTML escapes (a shell's > stays >).
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // a decoded JSON value always encodes
		return strings.TrimSuffix(b.String(), "\n")
	}
}

// counted reports whether o's status counts some of kind (errors or
// warnings).
func counted(o map[string]any, kind string) bool {
	n, _, _ := unstructured.NestedFieldNoCopy(o, "status", kind)
	switch n := n.(type) {
	case int64:
		return n > 0
	case float64:
		return n > 0
	}
	return false
}

func str(o map[string]any, fields ...string) string {
	s, _, _ := unstructured.NestedString(o, fields...)
	return s
}

func num(o map[string]any, fields ...string) string {
	v, found, _ := unstructured.NestedFieldNoCopy(o, fields...)
	if !found {
		return ""
	}
	return fmt.Sprint(v)
}

func strs(o map[string]any, fields ...string) []string {
	s, _, _ := unstructured.NestedStringSlice(o, fields...)
	return s
}

func boolOr(o map[string]any, def string, fields ...string) string {
	v, found, _ := unstructured.NestedBool(o, fields...)
	if !found {
		return def
	}
	return fmt.Sprint(v)
}

func jsonOr(o map[string]any, def string, fields ...string) string {
	v, found, _ := unstructured.NestedFieldNoCopy(o, fields...)
	if !found {
		return def
	}
	data, err := json.Marshal(v)
	if err != nil {
		return def
	}
	return string(data)
}

func orAll(v []string) string {
	if len(v) == 0 {
		return "*"
	}
	return strings.Join(v, ", ")
}

func orNone(v []string) string {
	if len(v) == 0 {
		return "<none>"
	}
	return strings.Join(v, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
