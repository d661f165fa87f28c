package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Traffic plays the service's users: an open-loop stream of contract validations at a
// fixed rate, a share of them legacy contracts (no terms object). It counts what users
// saw, per version, from the router's X-Slipway-Version header.
type Traffic struct {
	URL         string  // the environment's router
	Rate        int     // requests per second
	LegacyShare float64 // 0..1

	mu    sync.Mutex
	stats TrafficStats
}

// TrafficStats is what users experienced.
type TrafficStats struct {
	Sent, OK, Failed int
	ByVersion        map[string]*VersionStats
	FirstFailure     time.Time
	LastFailure      time.Time
}

// VersionStats counts responses served by one version.
type VersionStats struct {
	Requests, Failed int
}

// Stats returns a copy of the counts so far.
func (t *Traffic) Stats() TrafficStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.ByVersion = make(map[string]*VersionStats, len(t.stats.ByVersion))
	for k, v := range t.stats.ByVersion {
		c := *v
		s.ByVersion[k] = &c
	}
	return s
}

// Run sends requests until ctx is done.
func (t *Traffic) Run(ctx context.Context) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}
	defer client.CloseIdleConnections()
	jobs := make(chan []byte, 256)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range jobs {
				t.send(ctx, client, body)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	interval := time.Second / time.Duration(max(1, t.Rate))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	n := 0
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			n++
			legacy := rng.Float64() < t.LegacyShare
			select {
			case jobs <- contract(rng, n, legacy):
			default: // all workers busy: users gave up before sending
			}
		}
	}
	close(jobs)
	wg.Wait()
}

func (t *Traffic) send(ctx context.Context, client *http.Client, body []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL+"/v1/contracts/validate", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if ctx.Err() != nil {
		return // shutting down: not a user-visible failure
	}
	version, failed := "", true
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		version = resp.Header.Get("X-Slipway-Version")
		failed = resp.StatusCode >= 500
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Sent++
	if t.stats.ByVersion == nil {
		t.stats.ByVersion = map[string]*VersionStats{}
	}
	vs := t.stats.ByVersion[version]
	if vs == nil {
		vs = &VersionStats{}
		t.stats.ByVersion[version] = vs
	}
	vs.Requests++
	if !failed {
		t.stats.OK++
		return
	}
	t.stats.Failed++
	vs.Failed++
	if t.stats.FirstFailure.IsZero() {
		t.stats.FirstFailure = now
	}
	t.stats.LastFailure = now
}

var (
	products   = []string{"fiber-500", "fiber-1000", "mobile-unlimited", "tv-premium", "bundle-family"}
	currencies = []string{"EUR", "EUR", "EUR", "USD", "GBP", "BRL"}
	countries  = []string{"PT", "ES", "FR", "BR", "DE"}
)

// contract renders one request body. Legacy contracts predate the terms object and
// renew automatically; about 3% of modern ones are invalid on purpose (end before start).
func contract(rng *rand.Rand, n int, legacy bool) []byte {
	start := time.Date(2020+rng.IntN(7), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1+rng.IntN(3), 0, 0)
	if !legacy && rng.IntN(100) < 3 {
		end = start.AddDate(0, -1, 0)
	}
	id := fmt.Sprintf("C-%06d", n)
	customer := fmt.Sprintf("CUST-%d", 1+rng.IntN(5000))
	product := products[rng.IntN(len(products))]
	amount := 1999 + rng.IntN(200000)
	currency := currencies[rng.IntN(len(currencies))]
	if legacy {
		return fmt.Appendf(nil, `{"id":%q,"customer_id":%q,"product":%q,"amount_cents":%d,"currency":%q,"start_date":%q,"end_date":%q,"auto_renew":true}`,
			id, customer, product, amount, currency, start.Format(time.DateOnly), end.Format(time.DateOnly))
	}
	notice := []int{30, 30, 45, 60, 90}[rng.IntN(5)]
	return fmt.Appendf(nil, `{"id":%q,"customer_id":%q,"product":%q,"amount_cents":%d,"currency":%q,"start_date":%q,"end_date":%q,"auto_renew":%t,"terms":{"notice_period_days":%d,"jurisdiction":%q}}`,
		id, customer, product, amount, currency, start.Format(time.DateOnly), end.Format(time.DateOnly), rng.IntN(3) > 0, notice, countries[rng.IntN(len(countries))])
}
