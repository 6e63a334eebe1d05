package lab

import (
	"fmt"
	"strings"
)

// Constraint is one placement constraint, as swarm writes them:
// node.role==worker, node.hostname!=vm, node.labels.zone==a, node.id==ID.
type Constraint struct {
	Field, Value string
	Equal        bool // == rather than !=
}

// ParseConstraint reads one placement constraint.
func ParseConstraint(s string) (Constraint, error) {
	op, equal := "==", true
	if strings.Contains(s, "!=") {
		op, equal = "!=", false
	}
	field, value, ok := strings.Cut(s, op)
	field, value = strings.TrimSpace(field), strings.TrimSpace(value)
	switch {
	case !ok || value == "" || strings.ContainsAny(value, "=!"):
		return Constraint{}, fmt.Errorf("constraint %q: want FIELD==VALUE or FIELD!=VALUE", s)
	case field == "node.id", field == "node.hostname", field == "node.role":
	case strings.HasPrefix(field, "node.labels.") && len(field) > len("node.labels."):
	default:
		return Constraint{}, fmt.Errorf("constraint %q: want node.id, node.hostname, node.role or node.labels.NAME before %s", s, op)
	}
	return Constraint{Field: field, Value: value, Equal: equal}, nil
}
