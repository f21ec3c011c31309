package results

import (
	"fmt"
	"strings"
)

// Ephemerals is a run's ephemeral znodes, owned by sessions of their own
// (a service-discovery tree), and the churn of those sessions in the
// measured phase.
type Ephemerals struct {
	Znodes   int `json:"znodes"`
	Sessions int `json:"sessions"`
	// RegisterS is how long the owner sessions took to create them
	// before warm-up, all at once.
	RegisterS float64 `json:"register_s"`
	// Churn is every owner session ended and registered again, in order.
	Churn []Churn `json:"churn"`
}

// Churn is one owner session's end, whose closeSession txn deleted
// Znodes ephemerals in one write, and its re-registration.
type Churn struct {
	AtS        float64 `json:"at_s"` // into the measured phase
	Znodes     int     `json:"znodes"`
	CloseMs    float64 `json:"close_ms"`
	RegisterMs float64 `json:"register_ms"`
	Error      string  `json:"error,omitempty"`
}

// Summary is one line on the ephemerals: how many, over how many
// sessions, and what ending and re-registering a session took.
func (e *Ephemerals) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ephemerals: %d znodes owned by %d sessions, registered in %.1f s", e.Znodes, e.Sessions, e.RegisterS)
	if len(e.Churn) == 0 {
		return b.String()
	}
	var closeMs, registerMs float64
	failed := ""
	for _, c := range e.Churn {
		closeMs, registerMs = max(closeMs, c.CloseMs), max(registerMs, c.RegisterMs)
		if c.Error != "" && failed == "" {
			failed = fmt.Sprintf("; churn stopped at %.1f s: %s", c.AtS, c.Error)
		}
	}
	fmt.Fprintf(&b, "; %d sessions ended and re-registered (%d znodes each), close ≤ %.1f ms, re-register ≤ %.1f ms%s",
		len(e.Churn), e.Churn[0].Znodes, closeMs, registerMs, failed)
	return b.String()
}
