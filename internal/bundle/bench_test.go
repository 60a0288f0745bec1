package bundle

import (
	"path/filepath"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkStream streams a 64 MiB log through a bundle. MB/s is the
// throughput of the whole path (spool, tar, gzip, file); B/op shows that
// memory does not grow with the size of the item, and peak-heap-MiB is the
// largest live heap seen while streaming.
func BenchmarkStream(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	b.SetBytes(size)
	b.ReportAllocs()
	peak := watchHeap()
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, "bundle.tar.gz")
		w, err := Create(out, Options{Force: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Add(b.Context(), Item{Path: "logs/velero/velero/velero.log", Type: "log"}, logStream(size)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(Meta{Complete: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// watchHeap samples the live heap until the returned function is called,
// which returns the largest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		peak uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		ticker := time.NewTicker(5 * time.Millisecond)
		defer ticker.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak
	}
}
