package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/notify"
)

// recorder is a Notifier that keeps what it was given and returns err.
type recorder struct {
	mu     sync.Mutex
	titles []string
	err    error
}

func (r *recorder) Notify(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.titles = append(r.titles, m.Title)
	return r.err
}

func TestMultiDeliversToAllAndJoinsErrors(t *testing.T) {
	errWebhook := errors.New("webhook hooks.example.com: status 500")
	errSlack := errors.New("slack: channel_not_found")
	tests := []struct {
		name     string
		errs     []error
		wantErrs []error
	}{
		{name: "all succeed", errs: []error{nil, nil, nil}},
		{name: "one fails", errs: []error{nil, errWebhook, nil}, wantErrs: []error{errWebhook}},
		{name: "two fail", errs: []error{errSlack, errWebhook, nil}, wantErrs: []error{errSlack, errWebhook}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var multi notify.Multi
			var recs []*recorder
			for _, err := range tt.errs {
				r := &recorder{err: err}
				recs = append(recs, r)
				multi = append(multi, r)
			}
			multi = append(multi, nil) // a nil entry is skipped
			err := multi.Notify(context.Background(), notify.Message{Title: "rolled back"})
			for i, r := range recs {
				if diff := cmp.Diff([]string{"rolled back"}, r.titles); diff != "" {
					t.Errorf("notifier %d received (-want +got):\n%s", i, diff)
				}
			}
			if len(tt.wantErrs) == 0 && err != nil {
				t.Fatalf("Notify() = %v, want nil", err)
			}
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("Notify() = %v, want it to wrap %v", err, want)
				}
			}
		})
	}
}

func TestMultiCancelled(t *testing.T) {
	r := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (notify.Multi{r}).Notify(ctx, notify.Message{Title: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Notify(cancelled) = %v, want context.Canceled", err)
	}
	if len(r.titles) != 0 {
		t.Errorf("cancelled Multi delivered %q", r.titles)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		title   string
		wantErr bool
	}{
		{title: "Canary degradation detected"},
		{title: "", wantErr: true},
		{title: " \n\t", wantErr: true},
	}
	for _, tt := range tests {
		err := notify.Message{Title: tt.title}.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("Message{Title: %q}.Validate() = %v, want error %v", tt.title, err, tt.wantErr)
		}
	}
}

func TestFunc(t *testing.T) {
	var got string
	var n notify.Notifier = notify.Func(func(_ context.Context, m notify.Message) error {
		got = m.Title
		return nil
	})
	if err := n.Notify(context.Background(), notify.Message{Title: "promoted"}); err != nil || got != "promoted" {
		t.Errorf("Func.Notify() = %v, saw %q, want nil and %q", err, got, "promoted")
	}
}
