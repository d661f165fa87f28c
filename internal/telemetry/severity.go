package telemetry

import "strings"

// severityBase is the first OTLP severity number of each range, by the names
// loggers use for it.
var severityBase = map[string]int{
	"trace": 1, "finest": 1, "finer": 1,
	"debug": 5, "fine": 5,
	"info": 9, "information": 9, "notice": 9,
	"warn": 13, "warning": 13,
	"error": 17, "err": 17,
	"fatal": 21, "critical": 21, "crit": 21, "panic": 21, "alert": 21, "emergency": 21, "emerg": 21,
}

// SeverityNumber is the OTLP severity number a severity text names: the short
// names of the specification (TRACE, DEBUG2, INFO, WARN3, ERROR, FATAL4, any
// case) and the common others (warning, critical, panic, ...). It is 0 for a text
// it does not know.
func SeverityNumber(text string) int {
	s := strings.ToLower(strings.TrimSpace(text))
	step := 0
	if n := len(s); n > 1 && s[n-1] >= '2' && s[n-1] <= '4' {
		s, step = s[:n-1], int(s[n-1]-'1')
	}
	base, ok := severityBase[s]
	if !ok {
		return 0
	}
	return base + step
}
