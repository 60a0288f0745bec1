package collect

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// volumeKinds are the data-path resources a node-agent works on: their
// node is where to look when one fails.
var volumeKinds = veleroapi.VolumeKinds

// volumeGVR is the resource of a volume kind.
func volumeGVR(resource string) schema.GroupVersionResource {
	if k, ok := veleroapi.VolumeKindOf(resource); ok {
		return gvr(VeleroGroup, k.Version, k.Resource)
	}
	return schema.GroupVersionResource{}
}

// volumeFailure links a failed volume operation to the node-agent that ran it.
type volumeFailure struct {
	Kind, Name, Owner, Phase, Node, Message string
	// NodeAgentPod runs on Node; NodeAgentLog is its log in the bundle.
	NodeAgentPod, NodeAgentLog string
}

// volumeFailuresPath is where volumeFailures writes.
const volumeFailuresPath = "velero/volume-failures.md"

// volumeFailures writes velero/volume-failures.md: each failed pod volume
// backup or restore, data upload or download, with the node that handled it
// and the node-agent pod (and log) on that node.
func (r *run) volumeFailures(ctx context.Context, namespace string) error {
	item := bundle.Item{Path: volumeFailuresPath, Type: "summary", Source: "failed PodVolumeBackups, PodVolumeRestores, DataUploads and DataDownloads, and the node-agent pods of their nodes"}
	en, err := r.open(item) // it waits on the lists that feed it
	if err != nil {
		return err
	}
	agents, err := r.nodeAgents(ctx, namespace)
	if err != nil {
		return en.Fail(err)
	}
	var failures []volumeFailure
	for _, k := range volumeKinds {
		ops, _ := r.volumeOps(ctx, namespace, k.Resource, k.Version) // an error: not served by this Velero, or recorded by the list itself
		for _, op := range ops {
			if !op.failed() {
				continue
			}
			f := volumeFailure{Kind: op.resource, Name: op.name, Owner: op.owner, Phase: op.phase, Node: op.node, Message: op.message}
			if f.NodeAgentPod = agents[f.Node]; f.NodeAgentPod != "" {
				f.NodeAgentLog = path.Join("logs", namespace, f.NodeAgentPod, "node-agent.log")
			}
			failures = append(failures, f)
		}
	}
	return writeAll(en, []byte(renderVolumeFailures(failures)))
}

func renderVolumeFailures(fs []volumeFailure) string {
	var b strings.Builder
	b.WriteString("# Failed volume operations\n\n")
	if len(fs) == 0 {
		b.WriteString("None: no pod volume backup or restore, data upload or download failed.\n")
		return b.String()
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Kind+fs[i].Name < fs[j].Kind+fs[j].Name })
	b.WriteString("Each ran on a node; the node-agent pod of that node, and its log in this bundle, say more.\n\n")
	b.WriteString("| Kind | Name | Of | Phase | Node | Node-agent pod | Its log | Message |\n|---|---|---|---|---|---|---|---|\n")
	for _, f := range fs {
		pod, log := f.NodeAgentPod, f.NodeAgentLog
		if pod == "" {
			pod, log = "(none found on the node)", ""
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", f.Kind, f.Name, f.Owner, f.Phase, f.Node, pod, log, strings.ReplaceAll(f.Message, "|", "\\|"))
	}
	return b.String()
}
