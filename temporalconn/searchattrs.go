package temporalconn

import (
	"context"
	"fmt"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// SearchAttributesError says which of the search attributes a process needs
// the namespace lacks or holds with another type, and how to fix it.
type SearchAttributesError struct {
	Namespace string
	// Missing attributes and the type they need.
	Missing map[string]enumspb.IndexedValueType
	// Mistyped attributes: name → [have, want].
	Mistyped map[string][2]enumspb.IndexedValueType
}

func (e *SearchAttributesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "temporal namespace %q lacks ripen's search attributes", e.Namespace)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "; missing: %s; add them with:\n  %s", strings.Join(sortedKeys(e.Missing), ", "), e.Command())
	}
	if len(e.Mistyped) > 0 {
		names := sortedKeys(e.Mistyped)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s is %s, want %s", n, TypeName(e.Mistyped[n][0]), TypeName(e.Mistyped[n][1]))
		}
		fmt.Fprintf(&b, "\nwrong type: %s; a search attribute's type cannot change: "+
			"remove it (temporal operator search-attribute remove --namespace %s --name NAME) "+
			"once no workflow uses it, then create it with the type wanted",
			strings.Join(parts, "; "), e.Namespace)
	}
	return b.String()
}

// Command is the Temporal CLI command that adds the missing attributes
// (add --address and TLS or API-key flags as for any other CLI call).
func (e *SearchAttributesError) Command() string {
	return CreateCommand(e.Namespace, e.Missing)
}

// CreateCommand is the `temporal operator search-attribute create` command
// that registers attrs on namespace, names in order.
func CreateCommand(namespace string, attrs map[string]enumspb.IndexedValueType) string {
	var b strings.Builder
	fmt.Fprintf(&b, "temporal operator search-attribute create --namespace %s", namespace)
	for _, name := range sortedKeys(attrs) {
		fmt.Fprintf(&b, " --name %s --type %s", name, TypeName(attrs[name]))
	}
	return b.String()
}

// CheckSearchAttributes makes sure namespace has every attribute in want,
// with the wanted type. It returns a *SearchAttributesError listing what is
// missing or mistyped, with the command to fix it, or another error when
// the attributes cannot be listed (no permission, namespace unknown, …).
//
// Processes call it at start-up so a namespace without ripen's attributes
// fails loudly there rather than on the first enrolment.
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %q: %w", namespace, err)
	}
	have := resp.GetCustomAttributes()
	e := &SearchAttributesError{Namespace: namespace, Missing: map[string]enumspb.IndexedValueType{}, Mistyped: map[string][2]enumspb.IndexedValueType{}}
	for name, typ := range want {
		got, ok := have[name]
		if !ok {
			got, ok = resp.GetSystemAttributes()[name]
		}
		switch {
		case !ok:
			e.Missing[name] = typ
		case got != typ:
			e.Mistyped[name] = [2]enumspb.IndexedValueType{got, typ}
		}
	}
	if len(e.Missing) == 0 && len(e.Mistyped) == 0 {
		return nil
	}
	return e
}

// TypeName is the name the Temporal CLI and the visibility query language
// use for t: Keyword, Text, Int, Double, Bool, Datetime, KeywordList.
func TypeName(t enumspb.IndexedValueType) string {
	switch t {
	case enumspb.INDEXED_VALUE_TYPE_TEXT:
		return "Text"
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD:
		return "Keyword"
	case enumspb.INDEXED_VALUE_TYPE_INT:
		return "Int"
	case enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return "Double"
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return "Bool"
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return "Datetime"
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST:
		return "KeywordList"
	}
	return t.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
