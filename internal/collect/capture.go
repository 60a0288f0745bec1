package collect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/velero-debug/velero-debug/internal/schedule"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// captureLimit bounds what is kept in memory of one downloaded file for
// describe.txt; larger files are described without it.
const captureLimit = 8 << 20

// described are the downloads describe.txt reads.
var described = map[veleroapi.Target]bool{
	veleroapi.BackupResults: true, veleroapi.BackupResourceList: true, veleroapi.BackupVolumeInfos: true,
	veleroapi.BackupItemOperations: true, veleroapi.RestoreResults: true, veleroapi.RestoreResourceList: true,
	veleroapi.RestoreItemOperations: true,
}

// captures keeps the small downloads of one backup or restore, and why
// the others are missing.
type captures struct {
	mu    sync.Mutex
	files map[veleroapi.Target]*bytes.Buffer
	why   map[veleroapi.Target]string
}

// miss records why the file of target is not in the bundle, whole: what
// part of it arrived is not described.
func (c *captures) miss(target veleroapi.Target, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why == nil {
		c.why = map[veleroapi.Target]string{}
	}
	c.why[target] = reason
	delete(c.files, target)
}

// missing says why the file of target cannot be described: not
// downloaded (and why), or too large to keep; "" when it was kept.
func (c *captures) missing(target veleroapi.Target) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if buf := c.files[target]; buf != nil {
		if buf.Len() > captureLimit {
			return fmt.Sprintf("larger than %d MiB: read the file itself", captureLimit>>20)
		}
		return ""
	}
	if why := c.why[target]; why != "" {
		return why
	}
	return "not downloaded"
}

// writer returns w, also copying into the capture of target when
// describe.txt reads it.
func (c *captures) writer(target veleroapi.Target, w io.Writer) io.Writer {
	if !described[target] {
		return w
	}
	buf := &bytes.Buffer{}
	c.mu.Lock()
	if c.files == nil {
		c.files = map[veleroapi.Target]*bytes.Buffer{}
	}
	c.files[target] = buf
	c.mu.Unlock()
	return io.MultiWriter(w, &limitedBuffer{buf: buf})
}

// get returns the captured file of target; nil when missing or too large.
func (c *captures) get(target veleroapi.Target) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	buf := c.files[target]
	if buf == nil || buf.Len() > captureLimit {
		return nil
	}
	return buf.Bytes()
}

// limitedBuffer stops keeping bytes past captureLimit (one byte past, so
// that get knows), but never fails the write.
type limitedBuffer struct{ buf *bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := captureLimit + 1 - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// detail is the job that downloads the files of d, then writes its
// description from them.
func (r *run) detail(d detailed, server error) schedule.Job {
	caps := &captures{}
	describe := leaf(classSummaries, describePath(d.namedObject), func(ctx context.Context) error { return r.describe(ctx, d, caps) })
	return schedule.Job{Class: classVelero, Then: &describe, Run: func(ctx context.Context) ([]schedule.Job, error) {
		d.client = sync.OnceValues(func() (*http.Client, error) { return r.objectStoreClient(ctx, d) })
		return r.downloadAll(d, server, caps), nil
	}}
}
