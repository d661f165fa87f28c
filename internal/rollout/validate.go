package rollout

import (
	"errors"
	"fmt"
	"strings"
)

func validate(s Spec) error {
	var errs []string
	if len(s.Steps) == 0 || s.Steps[len(s.Steps)-1] != 100 {
		errs = append(errs, fmt.Sprintf("steps %v must end at 100", s.Steps))
	}
	for i, w := range s.Steps {
		if w < 1 || w > 100 || i > 0 && w <= s.Steps[i-1] {
			errs = append(errs, fmt.Sprintf("steps %v must increase within 1..100", s.Steps))
			break
		}
	}
	if s.Interval <= 0 || s.Bake < s.Interval {
		errs = append(errs, fmt.Sprintf("interval %s must be positive and at most bake %s", s.Interval, s.Bake))
	}
	if len(s.Stable.Instances()) == 0 || len(s.Candidate.Instances()) == 0 {
		errs = append(errs, "stable and candidate need URLs")
	}
	if s.HasBaseline() && (s.Baseline.Version != s.Stable.Version || s.Baseline.Digest != s.Stable.Digest) {
		errs = append(errs, fmt.Sprintf("baseline %s (%s) must run the stable version %s (%s)", s.Baseline.Version, s.Baseline.Digest, s.Stable.Version, s.Stable.Digest))
	}
	if err := s.Judge.Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if s.OnNoData != NoDataPause && s.OnNoData != NoDataRollback {
		errs = append(errs, fmt.Sprintf("on-no-data %q: use pause or rollback", s.OnNoData))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func percents(steps []int) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d%%", s)
	}
	return b.String()
}
