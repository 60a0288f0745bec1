package redact

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// veleroLog returns about size bytes of a Velero server log: logrus lines of
// backups, restores, plugins and kopia uploads, with UIDs, image digests,
// sha256 checksums and snapshot IDs, and without a secret.
func veleroLog(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	hex := func(n int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = digits[rng.IntN(len(digits))]
		}
		return string(b)
	}
	uid := func() string { return fmt.Sprintf("%s-%s-%s-%s-%s", hex(8), hex(4), hex(4), hex(4), hex(12)) }
	resources := []string{"pods", "persistentvolumeclaims", "configmaps", "services", "deployments.apps", "serviceaccounts", "secrets"}
	var out bytes.Buffer
	t := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := 0; out.Len() < size; i++ {
		t = t.Add(time.Duration(rng.IntN(900)) * time.Millisecond)
		ts := t.Format(time.RFC3339)
		res, ns := resources[rng.IntN(len(resources))], fmt.Sprintf("prod-%d", rng.IntN(5))
		switch rng.IntN(20) {
		case 0:
			fmt.Fprintf(&out, `time="%s" level=info msg="Adding pvc data-app-%d to additionalItems" backup=velero/nightly-20261127 cmd=/velero logSource="pkg/backup/actions/csi/pvc_action.go:241" pluginName=velero uid=%s`+"\n", ts, i%7, uid())
		case 1:
			fmt.Fprintf(&out, `time="%s" level=info msg="Found image" backup=velero/nightly-20261127 image="docker.io/velero/velero-plugin-for-aws@sha256:%s" logSource="pkg/backup/item_backupper.go:412" name=app-%d namespace=%s`+"\n", ts, hex(64), i%9, ns)
		case 2:
			fmt.Fprintf(&out, `time="%s" level=info msg="Uploaded backup tarball" backup=velero/nightly-20261127 checksum="sha256:%s" logSource="pkg/persistence/object_store.go:273" size=%d`+"\n", ts, hex(64), rng.IntN(1<<30))
		case 3:
			fmt.Fprintf(&out, `time="%s" level=info msg="Kopia backup finished" controller=podvolumebackup logSource="pkg/uploader/kopia/snapshot.go:258" node=worker-%d podvolumebackup=velero/nightly-20261127-%s snapshotID=k%s`+"\n", ts, i%3, hex(5), hex(32))
		case 4:
			fmt.Fprintf(&out, `time="%s" level=debug msg="plugin process exited" backup=velero/nightly-20261127 cmd=/plugins/velero-plugin-for-aws id=%d logSource="pkg/plugin/clientmgmt/process/logrus_adapter.go:75" plugin=/plugins/velero-plugin-for-aws`+"\n", ts, 1000+i)
		case 5:
			fmt.Fprintf(&out, `time="%s" level=info msg="Starting Velero server v1.18.3 (%s)" logSource="pkg/cmd/server/server.go:271"`+"\n", ts, hex(40))
		case 6:
			fmt.Fprintf(&out, `time="%s" level=error msg="Error backing up item" backup=velero/nightly-20261127 error="pod volume backup failed: data path backup failed: Failed to run kopia backup: unable to get local block device entry: lstat /host_pods/%s/volumes/kubernetes.io~csi/pvc-%s/mount: no such file or directory" logSource="pkg/backup/backup.go:552" name=app-1`+"\n", ts, uid(), uid())
		default:
			fmt.Fprintf(&out, `time="%s" level=info msg="Backing up item" backup=velero/nightly-20261127 logSource="pkg/backup/item_backupper.go:190" name=app-%d namespace=%s resource=%s`+"\n", ts, i%50, ns, res)
		}
	}
	return out.Bytes()
}

// BenchmarkRedactVeleroLog redacts a 16 MiB Velero server log. MB/s is the
// throughput of one Writer on one core; allocs/op shows that lines without
// a secret do not allocate.
func BenchmarkRedactVeleroLog(b *testing.B) {
	benchRedact(b, veleroLog(16<<20), 0)
}

// BenchmarkRedactSmallWrites redacts the same log written 4 KiB at a time,
// as an HTTP body is copied.
func BenchmarkRedactSmallWrites(b *testing.B) {
	benchRedact(b, veleroLog(16<<20), 4096)
}

// benchRedact redacts data with the default rules, in writes of chunk
// bytes (all at once when chunk is 0).
func benchRedact(b *testing.B, data []byte, chunk int) {
	b.Helper()
	if chunk <= 0 {
		chunk = len(data)
	}
	rs := Default()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := rs.Writer(io.Discard)
		for p := data; len(p) > 0; p = p[min(len(p), chunk):] {
			if _, err := w.Write(p[:min(len(p), chunk)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// podsJSON returns about size bytes of Kubernetes pods as JSON, one per
// line: every line has keywords (secretKeyRef, secretName, token, the
// last-applied annotation) and a few secrets.
func podsJSON(size int) []byte {
	var out bytes.Buffer
	for i := 0; out.Len() < size; i++ {
		fmt.Fprintf(&out, `{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"app-%[1]d\"}}\n"},"name":"app-%[1]d","namespace":"prod","uid":"%[2]s"},`+
			`"spec":{"containers":[{"env":[{"name":"DB_HOST","value":"db"},{"name":"DB_PASSWORD","value":"pw-%[1]d"},{"name":"API_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"api"}}},{"name":"AWS_SHARED_CREDENTIALS_FILE","value":"/credentials/cloud"}],`+
			`"image":"docker.io/library/app@sha256:%[3]s","name":"app","volumeMounts":[{"mountPath":"/credentials","name":"cloud-credentials"},{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access","readOnly":true}]}],`+
			`"volumes":[{"name":"cloud-credentials","secret":{"secretName":"cloud-credentials"}},{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}]}}]}}`+"\n", i, uid, hex64)
	}
	return out.Bytes()
}

// BenchmarkRedactPodsJSON redacts Kubernetes objects dense in keywords, the
// slow path: every line runs the detectors.
func BenchmarkRedactPodsJSON(b *testing.B) {
	benchRedact(b, podsJSON(16<<20), 0)
}

func TestPodsJSON(t *testing.T) {
	t.Parallel()
	data := podsJSON(64 << 10)
	n := bytes.Count(data, []byte("\n"))
	out, counts := Default().Redact(data)
	require.Equal(t, map[string]int{rulePassword: n, ruleLastApplied: n}, counts)
	require.NotContains(t, string(out), "pw-")
	require.Equal(t, n, bytes.Count(out, []byte(`"secretName":"cloud-credentials"`)))
}

func TestVeleroLogSurvives(t *testing.T) {
	t.Parallel()
	data := veleroLog(1 << 20)
	out, counts := Default().Redact(data)
	require.Empty(t, counts)
	require.Equal(t, string(data), string(out))
}
