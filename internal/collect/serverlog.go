package collect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	corev1api "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/idle"
)

// serverLogLines writes the lines of the Velero server's log that mention
// d: while a backup or restore runs, they are all there is of its log.
func (r *run) serverLogLines(ctx context.Context, d detailed) error {
	item := bundle.Item{Path: serverLogPath(d.namedObject), Type: "log",
		Source: fmt.Sprintf("lines of the Velero server's log that mention %s %s/%s", d.kind, d.namespace, d.name)}
	e, err := r.open(item)
	if err != nil {
		return err
	}
	pod, err := r.serverPod(ctx, d.namespace)
	if err != nil {
		return e.Fail(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := idle.New(r.cfg.RequestTimeout, cancel)
	defer timer.Stop()
	stream, err := r.clients.Kube.CoreV1().Pods(d.namespace).GetLogs(pod, &corev1api.PodLogOptions{Container: "velero"}).Stream(ctx)
	if err == nil {
		needle := []byte(fmt.Sprintf("%s=%s/%s", d.kind, d.namespace, d.name))
		err = errors.Join(grepLines(e, timer.Reader(stream), needle), stream.Close())
	}
	if err != nil {
		err = describeAPIError(err, item.Source)
		return e.Fail(err)
	}
	return e.Commit()
}

// serverPod names the Velero server's pod: a pod of the namespace labelled
// as Velero's server with a container named velero.
func (r *run) serverPod(ctx context.Context, namespace string) (string, error) {
	for _, sel := range []string{"deploy=velero", "component=velero,!name", "app.kubernetes.io/name=velero"} {
		reqCtx, cancel := r.requestContext(ctx)
		pods, err := r.clients.Kube.CoreV1().Pods(namespace).List(reqCtx, metav1.ListOptions{LabelSelector: sel})
		cancel()
		if err != nil {
			return "", describeAPIError(err, "finding the Velero server's pod")
		}
		for _, p := range pods.Items {
			for _, c := range p.Spec.Containers {
				if c.Name == "velero" {
					return p.Name, nil
				}
			}
		}
	}
	return "", errors.New("no pod of the Velero server found in the namespace")
}

// grepLines copies the lines of r that hold the logrus field needle
// (backup=ns/name) to w. Lines of any length are handled.
func grepLines(w io.Writer, r io.Reader, needle []byte) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // a long line: keep reading it
		}
		if len(line) > 0 && hasField(line, needle) {
			if _, werr := w.Write(line); werr != nil {
				return werr
			}
		}
		line = line[:0]
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// hasField reports whether line holds field whole: not backup=ns/b1 within
// backup=ns/b10.
func hasField(line, field []byte) bool {
	for i := 0; ; {
		j := bytes.Index(line[i:], field)
		if j < 0 {
			return false
		}
		end := i + j + len(field)
		if end == len(line) || bytes.IndexByte([]byte(" \t\r\n\"'"), line[end]) >= 0 {
			return true
		}
		i = end
	}
}
