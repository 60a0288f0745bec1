package collect

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// volumeKinds are the data-path resources a node-agent works on: their
// node is where to look when one fails.
var volumeKinds = []struct{ version, resource, owner string }{
	{"v1", "podvolumebackups", "velero.io/backup-name"},
	{"v1", "podvolumerestores", "velero.io/restore-name"},
	{"v2alpha1", "datauploads", "velero.io/backup-name"},
	{"v2alpha1", "datadownloads", "velero.io/restore-name"},
}

// volumeFailure links a failed volume operation to the node-agent that ran it.
type volumeFailure struct {
	Kind, Name, Owner, Phase, Node, Message string
	// NodeAgentPod runs on Node; NodeAgentLog is its log in the bundle.
	NodeAgentPod, NodeAgentLog string
}

// volumeFailures writes velero/volume-failures.md: each failed pod volume
// backup or restore, data upload or download, with the node that handled it
// and the node-agent pod (and log) on that node.
func (r *run) volumeFailures(ctx context.Context, namespace string) error {
	item := bundle.Item{Path: "velero/volume-failures.md", Type: "summary", Source: "failed PodVolumeBackups, PodVolumeRestores, DataUploads and DataDownloads, and the node-agent pods of their nodes"}
	r.obs.Started(item.Path)
	agents, err := r.nodeAgents(ctx, namespace)
	if err != nil {
		return r.fail(item, err)
	}
	var failures []volumeFailure
	for _, k := range volumeKinds {
		ri := r.clients.Dynamic.Resource(gvr(VeleroGroup, k.version, k.resource)).Namespace(namespace)
		// An error: not served by this Velero, or recorded by the list itself.
		_ = r.eachObject(ctx, ri, metav1.ListOptions{}, func(o *unstructured.Unstructured) {
			if f, ok := failureOf(o, k.resource, k.owner); ok {
				f.NodeAgentPod = agents[f.Node]
				if f.NodeAgentPod != "" {
					f.NodeAgentLog = path.Join("logs", namespace, f.NodeAgentPod, "node-agent.log")
				}
				failures = append(failures, f)
			}
		})
	}
	return r.addBytes(item, []byte(renderVolumeFailures(failures)))
}

func failureOf(o *unstructured.Unstructured, resource, ownerLabel string) (volumeFailure, bool) {
	phase, _, _ := unstructured.NestedString(o.Object, "status", "phase")
	if phase != "Failed" && phase != "Canceled" {
		return volumeFailure{}, false
	}
	node, _, _ := unstructured.NestedString(o.Object, "status", "node")
	if node == "" {
		node, _, _ = unstructured.NestedString(o.Object, "spec", "node")
	}
	msg, _, _ := unstructured.NestedString(o.Object, "status", "message")
	return volumeFailure{Kind: resource, Name: o.GetName(), Owner: o.GetLabels()[ownerLabel],
		Phase: phase, Node: node, Message: msg}, true
}

// nodeAgents maps each node to the node-agent pod that runs on it.
func (r *run) nodeAgents(ctx context.Context, namespace string) (map[string]string, error) {
	out := map[string]string{}
	opts := metav1.ListOptions{LabelSelector: "name=node-agent", Limit: summaryPage}
	for {
		reqCtx, cancel := r.requestContext(ctx)
		pods, err := r.clients.Kube.CoreV1().Pods(namespace).List(reqCtx, opts)
		cancel()
		if err != nil {
			return nil, describeAPIError(err, "listing the node-agent pods")
		}
		for _, p := range pods.Items {
			out[p.Spec.NodeName] = p.Name
		}
		if opts.Continue = pods.Continue; opts.Continue == "" {
			return out, nil
		}
	}
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
