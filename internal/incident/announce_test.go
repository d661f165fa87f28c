package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/console"
	"github.com/slipway/slipway/internal/notify/webhook"
)

// The announcement travels through real notifiers: the console and a webhook
// endpoint on a loopback listener.
func TestAnnouncementThroughConsoleAndWebhook(t *testing.T) {
	var mu sync.Mutex
	var payloads []webhook.Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		payloads = append(payloads, p)
		mu.Unlock()
	}))
	defer srv.Close()
	hook, err := webhook.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := openStore(t)
	rolledBack := storyRollout(t, s)
	now := at(10, 7, 33)
	m := storyManager(t, s, notify.Multi{console.New(&out), hook}, &now)
	rb, err := incident.RollbackFromEvent(rolledBack)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.OpenFromRollback(context.Background(), rb); err != nil {
		t.Fatal(err)
	}
	wantConsole := "2026-11-26T10:07:33Z [ALERT] Canary degradation detected | Service: contract-api | Env: prod | Version: 1.12.0 | Incident: INC-1 | Channel: #incident-contract-api-2026-11-26 | Status: mitigated since 10:07:31 UTC | Severity: critical | Started: 2026-11-26 10:07:31 UTC | Affected version: 1.12.0 | Rollback: executed at 10:07:31 UTC, 100% of traffic on 1.11.3 | error_rate: 0.0833 > 0.01 (100 errors in 1200 requests) | latency_p95: 0.41 > 0.3 (1200 requests)\n"
	if !strings.HasPrefix(out.String(), wantConsole) {
		t.Errorf("console output:\n%s\nwant it to start with:\n%s", out.String(), wantConsole)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(payloads) != 1 || payloads[0].Kind != notify.KindIncident || payloads[0].Channel != "#incident-contract-api-2026-11-26" || payloads[0].Incident != "INC-1" {
		t.Errorf("webhook payloads = %+v, want one incident payload for INC-1", payloads)
	}
}
