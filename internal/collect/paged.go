package collect

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// summaryPage is the number of objects asked for in one list request of a
// pass that keeps only a summary of each (names, phases, nodes): a page is
// held while it is read, never the whole list.
const summaryPage = 500

// eachObject calls f with every object of ri that opts selects, a page at
// a time.
func (r *run) eachObject(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions, f func(*unstructured.Unstructured)) error {
	opts.Limit = summaryPage
	for {
		reqCtx, cancel := r.requestContext(ctx)
		page, err := ri.List(reqCtx, opts)
		cancel()
		if err != nil {
			return err
		}
		for i := range page.Items {
			f(&page.Items[i])
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return nil
		}
	}
}
