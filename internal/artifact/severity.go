package artifact

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Severities, lowest first; "" is unknown.
var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// severityOf rates an OSV record and says where the rating came from:
//
//  1. database_specific.severity (GitHub advisories: LOW, MODERATE, HIGH,
//     CRITICAL), at the top level or on an affected package;
//  2. else the highest CVSS v3 base score among severity[] (type CVSS_V3),
//     computed from its vector and rated the way CVSS does (0.1-3.9 low,
//     4.0-6.9 medium, 7.0-8.9 high, 9.0-10 critical);
//  3. else unknown (""): Go's own database (GO-* records) rates nothing, and a
//     CVSS v4 vector is not scored here. A gate then applies its "unknown"
//     setting (default high).
func severityOf(record []byte) (sev, source string) {
	type cvss struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	}
	type dbSpecific struct {
		Severity string `json:"severity"`
	}
	var r struct {
		Severity         []cvss     `json:"severity"`
		DatabaseSpecific dbSpecific `json:"database_specific"`
		Affected         []struct {
			Severity         []cvss     `json:"severity"`
			DatabaseSpecific dbSpecific `json:"database_specific"`
		} `json:"affected"`
	}
	if json.Unmarshal(record, &r) != nil {
		return "", ""
	}
	named := []string{r.DatabaseSpecific.Severity}
	vectors := r.Severity
	for _, a := range r.Affected {
		named = append(named, a.DatabaseSpecific.Severity)
		vectors = append(vectors, a.Severity...)
	}
	for _, n := range named {
		s := strings.ToLower(strings.TrimSpace(n))
		if s == "moderate" {
			s = "medium"
		}
		if severityRank[s] > 0 {
			return s, "database_specific.severity " + n
		}
	}
	best, bestVec := -1.0, ""
	for _, v := range vectors {
		if v.Type != "CVSS_V3" {
			continue
		}
		if score, err := cvss3Score(v.Score); err == nil && score > best {
			best, bestVec = score, v.Score
		}
	}
	if best < 0 {
		return "", ""
	}
	return cvssRating(best), fmt.Sprintf("CVSS %.1f %s", best, bestVec)
}

func cvssRating(score float64) string {
	switch {
	case score >= 9:
		return "critical"
	case score >= 7:
		return "high"
	case score >= 4:
		return "medium"
	}
	return "low" // 0.0 ("none") counts as low: it still names a vulnerability
}

// cvss3Score computes the CVSS v3.0/v3.1 base score of a vector such as
// CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.
func cvss3Score(vector string) (float64, error) {
	parts := strings.Split(vector, "/")
	if len(parts) < 9 || !strings.HasPrefix(parts[0], "CVSS:3") {
		return 0, fmt.Errorf("not a CVSS v3 vector: %q", vector)
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, fmt.Errorf("CVSS vector %q: bad metric %q", vector, p)
		}
		m[k] = v
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"UI": {"N": 0.85, "R": 0.62},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	w := map[string]float64{}
	for k, table := range weights {
		v, ok := table[m[k]]
		if !ok {
			return 0, fmt.Errorf("CVSS vector %q: missing or unknown %s", vector, k)
		}
		w[k] = v
	}
	changed := m["S"] == "C"
	if m["S"] != "C" && m["S"] != "U" {
		return 0, fmt.Errorf("CVSS vector %q: missing or unknown S", vector)
	}
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	if changed {
		pr["L"], pr["H"] = 0.68, 0.5
	}
	prw, ok := pr[m["PR"]]
	if !ok {
		return 0, fmt.Errorf("CVSS vector %q: missing or unknown PR", vector)
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0, nil
	}
	expl := 8.22 * w["AV"] * w["AC"] * prw * w["UI"]
	if changed {
		return roundUp(math.Min(1.08*(impact+expl), 10)), nil
	}
	return roundUp(math.Min(impact+expl, 10)), nil
}

// roundUp is CVSS v3.1's Roundup: the smallest one-decimal number >= x.
func roundUp(x float64) float64 {
	i := int(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}
