// Package veleroapi asks a running Velero server for what only it can
// answer, the way the Velero CLI does but in-process and with deadlines: its
// version and plugins (ServerStatusRequest), and the logs and results of
// backups and restores kept in object storage (DownloadRequest).
package veleroapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

var (
	serverStatusRequests = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "serverstatusrequests"}
	downloadRequests     = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "downloadrequests"}
)

// ErrNoAnswer means the Velero server did not process a request in time:
// it is down, or too busy.
var ErrNoAnswer = errors.New("the Velero server did not answer")

// Client talks to the Velero server of one namespace through its custom
// resources.
type Client struct {
	Dynamic   dynamic.Interface
	Namespace string
	// RequestTimeout bounds each API request.
	RequestTimeout time.Duration
	// Wait bounds how long the server may take to process a request.
	Wait time.Duration
	// Poll is the interval between checks; default 250ms.
	Poll time.Duration
	// Run, when set, labels the requests the client creates (RunLabel), so
	// that the run leaves its own requests out of the lists it collects.
	Run string
}

// RunLabel is the label whose value names the run that created a request.
const RunLabel = "velero-debug.io/run"

// Plugin is one plugin the server reports.
type Plugin struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// ServerStatus is the server's answer to a ServerStatusRequest.
type ServerStatus struct {
	ServerVersion string    `json:"serverVersion"`
	Plugins       []Plugin  `json:"plugins"`
	Processed     time.Time `json:"processedTimestamp"`
}

// ServerStatus creates a ServerStatusRequest, waits for the server to
// process it, and deletes it.
func (c Client) ServerStatus(ctx context.Context) (*ServerStatus, error) {
	req := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "ServerStatusRequest",
		"metadata": c.requestMeta(),
		"spec":     map[string]any{},
	}}
	done, err := c.process(ctx, serverStatusRequests, req)
	if err != nil {
		return nil, err
	}
	st := &ServerStatus{}
	st.ServerVersion, _, _ = unstructured.NestedString(done.Object, "status", "serverVersion")
	if ts, _, _ := unstructured.NestedString(done.Object, "status", "processedTimestamp"); ts != "" {
		st.Processed, _ = time.Parse(time.RFC3339, ts)
	}
	plugins, _, _ := unstructured.NestedSlice(done.Object, "status", "plugins")
	for _, p := range plugins {
		m, _ := p.(map[string]any)
		name, _ := m["name"].(string)
		kind, _ := m["kind"].(string)
		st.Plugins = append(st.Plugins, Plugin{Name: name, Kind: kind})
	}
	// The server lists them in no fixed order (one run to the next):
	// sorted, two bundles of one cluster read, and compare, alike.
	slices.SortStableFunc(st.Plugins, func(a, b Plugin) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name)) })
	return st, nil
}

// ManagedBy is the value of the app.kubernetes.io/managed-by label on the
// requests velero-debug creates, so that one left behind (the run killed
// before it could delete it) is known for what it is.
const ManagedBy = "velero-debug"

func (c Client) requestMeta() map[string]any {
	labels := map[string]any{"app.kubernetes.io/managed-by": ManagedBy}
	if c.Run != "" {
		labels[RunLabel] = c.Run
	}
	return map[string]any{"generateName": "velero-debug-", "namespace": c.Namespace, "labels": labels}
}

// process creates obj, waits until the server marks it Processed, deletes
// it, and returns its last state.
func (c Client) process(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri := c.Dynamic.Resource(gvr).Namespace(c.Namespace)
	reqCtx, cancel := context.WithTimeout(ctx, c.RequestTimeout)
	created, err := ri.Create(reqCtx, obj, metav1.CreateOptions{})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", obj.GetKind(), err)
	}
	defer c.delete(ri, created.GetName())
	poll := c.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	var last *unstructured.Unstructured
	err = wait.PollUntilContextTimeout(ctx, poll, c.Wait, true, func(ctx context.Context) (bool, error) {
		reqCtx, cancel := context.WithTimeout(ctx, c.RequestTimeout)
		defer cancel()
		got, err := ri.Get(reqCtx, created.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // a failed poll is retried until the deadline
		}
		last = got
		phase, _, _ := unstructured.NestedString(got.Object, "status", "phase")
		return phase == "Processed", nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s %s was not processed within %s", ErrNoAnswer, obj.GetKind(), created.GetName(), c.Wait)
	}
	return last, nil
}

// delete removes a request the run created, even when the run's context
// has ended: it must not be left behind.
func (c Client) delete(ri dynamic.ResourceInterface, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.RequestTimeout)
	defer cancel()
	_ = ri.Delete(ctx, name, metav1.DeleteOptions{})
}
