package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

func TestAudienceAndSenderParse(t *testing.T) {
	d, err := journey.Parse([]byte(minimal + "audience: {personas: [ops-lead, it-lead]}\nsender: company\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"ops-lead", "it-lead"}, d.Audience.Personas)
	assert.True(t, d.Audience.Includes("it-lead"))
	assert.False(t, d.Audience.Includes("cfo"))
	assert.False(t, d.Audience.Includes(""), "a contact without any persona is outside an audience")
	assert.Equal(t, journey.SenderCompany, d.SendsAs())

	d, err = journey.Parse([]byte(minimal))
	require.NoError(t, err)
	assert.Nil(t, d.Audience)
	assert.True(t, d.Audience.Includes("anyone"), "no audience: every contact")
	assert.Equal(t, journey.SenderOwner, d.SendsAs(), "the owner by default")
}

func TestAudienceAndSenderMistakesAreNamedAtTheirLine(t *testing.T) {
	doc := minimal + "audience:\n  personas: [ops-lead, \"it lead\", ops-lead]\nsender: rep\n"
	assertProblems(t, parseProblems(t, doc),
		want{9, "audience.personas[1]", `"it lead" is not a persona id`},
		want{9, "audience.personas[2]", `"ops-lead" is listed twice`},
		want{10, "sender", `unknown sender "rep": want owner or company`},
	)
	assertProblems(t, parseProblems(t, minimal+"audience: {personas: []}\n"),
		want{8, "audience.personas", "at least one persona"})
	assertProblems(t, parseProblems(t, minimal+"audience: {persona: [it-lead]}\n"),
		want{8, "audience.persona", `did you mean "personas"`},
		want{8, "audience.personas", "at least one persona"})
}

func TestParseWithPersonasReportsUnknownAudience(t *testing.T) {
	_, err := journey.ParseWith([]byte(minimal+"audience: {personas: [it-lead, cfo]}\n"),
		journey.ValidateOptions{Persona: func(id string) bool { return id == "it-lead" }})
	probs, ok := err.(journey.Problems)
	require.True(t, ok, "%v", err)
	assertProblems(t, probs, want{8, "audience.personas[1]", `unknown persona "cfo"`})
}

func TestSchemaKnowsAudienceAndSender(t *testing.T) {
	s := compileSchema(t)
	good := minimal + "audience: {personas: [ops-lead, it-lead]}\nsender: owner\n"
	_, err := journey.Parse([]byte(good))
	require.NoError(t, err)
	assert.NoError(t, validateAgainstSchema(t, s, good))
	for name, doc := range map[string]string{
		"empty audience": minimal + "audience: {personas: []}\n",
		"unknown sender": minimal + "sender: rep\n",
		"persona id":     minimal + "audience: {personas: [\"it lead\"]}\n",
		"twice":          minimal + "audience: {personas: [a, a]}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := journey.Parse([]byte(doc))
			assert.Error(t, err)
			assert.Error(t, validateAgainstSchema(t, s, doc))
		})
	}
	assert.True(t, strings.Contains(string(journey.Schema), `"audience"`))
}

func TestAudiencePersonasReadsLooselyForALookUp(t *testing.T) {
	assert.Equal(t, []string{"it-lead", "cfo"}, journey.AudiencePersonas([]byte(minimal+"audience: {personas: [it-lead, cfo]}\nsender: nobody\n")))
	assert.Equal(t, []string{"it-lead"}, journey.AudiencePersonas([]byte(`{"id": "j", "audience": {"personas": ["it-lead"]}}`)), "JSON too")
	assert.Empty(t, journey.AudiencePersonas([]byte(minimal)))
}
