package collect

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1api "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testPod is a pod of Velero's namespace in a given state.
func testPod(name string) func(phase corev1api.PodPhase, reason string, st ...corev1api.ContainerStatus) corev1api.Pod {
	return func(phase corev1api.PodPhase, reason string, st ...corev1api.ContainerStatus) corev1api.Pod {
		return corev1api.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "velero"},
			Status: corev1api.PodStatus{Phase: phase, Reason: reason, ContainerStatuses: st}}
	}
}

// TestContainerLogs: the evidence reads the logs a container has, and
// asks for none it cannot have.
func TestContainerLogs(t *testing.T) {
	t.Parallel()
	pod := testPod("p")
	running := corev1api.ContainerState{Running: &corev1api.ContainerStateRunning{}}
	waiting := corev1api.ContainerState{Waiting: &corev1api.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	cur := logSource{namespace: "velero", pod: "p", container: "velero"}
	prev := cur
	prev.previous = true
	for name, tc := range map[string]struct {
		pod  corev1api.Pod
		want []logSource
	}{
		"running":             {pod(corev1api.PodRunning, "", corev1api.ContainerStatus{Name: "velero", State: running}), []logSource{cur}},
		"restarted":           {pod(corev1api.PodRunning, "", corev1api.ContainerStatus{Name: "velero", State: running, RestartCount: 2}), []logSource{prev, cur}},
		"crash-looping":       {pod(corev1api.PodRunning, "", corev1api.ContainerStatus{Name: "velero", State: waiting, RestartCount: 5}), []logSource{prev}},
		"image not pulled":    {pod(corev1api.PodPending, "", corev1api.ContainerStatus{Name: "velero", State: corev1api.ContainerState{Waiting: &corev1api.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}), nil},
		"pending, no status":  {pod(corev1api.PodPending, ""), nil},
		"evicted":             {pod(corev1api.PodFailed, "Evicted", corev1api.ContainerStatus{Name: "velero", State: running}), nil},
		"no status, not told": {pod("", ""), []logSource{cur}},
	} {
		p, ok := podInfoOf(tc.pod)
		require.True(t, ok)
		require.Equal(t, tc.want, containerLogs(p, "velero"), name)
	}
}

// TestServerPodState: why a Velero server pod cannot answer, in the words
// of its status; nothing when its velero container runs.
func TestServerPodState(t *testing.T) {
	t.Parallel()
	pod := testPod("velero-7d9")
	running := corev1api.ContainerState{Running: &corev1api.ContainerStateRunning{}}
	for want, p := range map[string]corev1api.Pod{
		"": pod(corev1api.PodRunning, "", corev1api.ContainerStatus{Name: "velero", State: running}),
		"container velero of pod velero-7d9 is waiting: CrashLoopBackOff": pod(corev1api.PodRunning, "",
			corev1api.ContainerStatus{Name: "velero", State: corev1api.ContainerState{Waiting: &corev1api.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}),
		"container velero of pod velero-7d9 is terminated: OOMKilled": pod(corev1api.PodRunning, "",
			corev1api.ContainerStatus{Name: "plugin", State: running},
			corev1api.ContainerStatus{Name: "velero", State: corev1api.ContainerState{Terminated: &corev1api.ContainerStateTerminated{Reason: "OOMKilled"}}}),
		"pod velero-7d9 is Pending":          pod(corev1api.PodPending, ""),
		"pod velero-7d9 is Failed (Evicted)": pod(corev1api.PodFailed, "Evicted"),
		"pod velero-7d9 is not scheduled":    pod("", ""),
	} {
		info, ok := podInfoOf(p)
		require.True(t, ok)
		require.Equal(t, want, serverPodState(info), want)
	}
}
