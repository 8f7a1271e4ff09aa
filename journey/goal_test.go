package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// accountRules is minimal with the three account rules set.
var accountRules = strings.Replace(strings.Replace(minimal,
	"scoring: {points: {click: 10}}", "scoring: {points: {click: 10}, topics: [process-automation, erp]}", 1),
	"mqn: {threshold: 10}", "mqn: {threshold: 10, min_contacts: 2}\ngoal: {event: order, product: automation-suite, within: 180d}", 1)

func TestAccountRulesParse(t *testing.T) {
	d, err := journey.Parse([]byte(accountRules))
	require.NoError(t, err)
	assert.Equal(t, []string{"process-automation", "erp"}, d.Scoring.Topics)
	assert.Equal(t, 2, d.MQN.MinContacts)
	require.NotNil(t, d.Goal)
	assert.Equal(t, journey.Goal{Event: "order", Product: "automation-suite", Within: d.Goal.Within}, *d.Goal)
	assert.Equal(t, "180d", d.Goal.Within.String())
}

func TestAccountRulesMistakesAreNamedAtTheirLine(t *testing.T) {
	tests := []struct {
		name, from, to string
		field, message string
	}{
		{"goal event must be order", "event: order", "event: visit", "goal.event", `unknown goal event "visit": want "order"`},
		{"goal product is required", "product: automation-suite, ", "", "goal.product", "goal product is required"},
		{"goal product is a product id", "product: automation-suite", "product: automation suite", "goal.product", "not a product ID"},
		{"goal within must be positive", "within: 180d", "within: 0d", "goal.within", "must be longer than 0"},
		{"min_contacts of 0 is refused when written", "min_contacts: 2", "min_contacts: 0", "mqn.min_contacts", "must be at least 1"},
		{"min_contacts must not be negative", "min_contacts: 2", "min_contacts: -1", "mqn.min_contacts", "must be at least 1"},
		{"scoring topics are slugs", "topics: [process-automation, erp]", "topics: [process-automation, Process Automation]", "scoring.topics[1]", "is not a topic"},
		{"scoring topics are listed once", "topics: [process-automation, erp]", "topics: [erp, erp]", "scoring.topics[1]", "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(accountRules, tt.from, tt.to, 1)
			require.NotEqual(t, accountRules, doc)
			probs := parseProblems(t, doc)
			require.Len(t, probs, 1, "%v", probs)
			assert.Equal(t, tt.field, probs[0].Field)
			assert.Contains(t, probs[0].Message, tt.message)
			assert.Equal(t, lineOf(doc, tt.field), probs[0].Line)
		})
	}
}

// lineOf is the line of the field's parent mapping (the fields are written
// on one line each in accountRules).
func lineOf(doc, field string) int {
	key, _, _ := strings.Cut(field, ".")
	for i, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, key+":") {
			return i + 1
		}
	}
	return 0
}

func TestAccountRulesInTheSchema(t *testing.T) {
	s := compileSchema(t)
	assert.NoError(t, validateAgainstSchema(t, s, accountRules))
	for name, bad := range map[string]string{
		"goal event":       strings.Replace(accountRules, "event: order", "event: visit", 1),
		"goal without":     strings.Replace(accountRules, ", within: 180d", "", 1),
		"zero within":      strings.Replace(accountRules, "within: 180d", "within: 0d", 1),
		"min_contacts 0":   strings.Replace(accountRules, "min_contacts: 2", "min_contacts: 0", 1),
		"topic not a slug": strings.Replace(accountRules, "erp]", "ERP]", 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := journey.Parse([]byte(bad))
			assert.Error(t, err, "parser")
			assert.Error(t, validateAgainstSchema(t, s, bad), "schema")
		})
	}
}

func TestScoringOnTopic(t *testing.T) {
	all := journey.Scoring{}
	assert.True(t, all.OnTopic("anything"), "no topics: every topic counts")
	some := journey.Scoring{Topics: []string{"erp"}}
	assert.True(t, some.OnTopic("erp"))
	assert.True(t, some.OnTopic(""), "an engagement without a topic is on the run's own email")
	assert.False(t, some.OnTopic("finance"))
}
