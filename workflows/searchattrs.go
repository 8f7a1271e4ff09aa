package workflows

import (
	"math"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Search attributes that make runs findable in the Temporal Web UI and
// through visibility queries. They carry IDs and numbers, never names.
var (
	AttrJourney  = temporal.NewSearchAttributeKeyKeyword("RipenJourney")
	AttrCustomer = temporal.NewSearchAttributeKeyKeyword("RipenCustomer")
	AttrOwner    = temporal.NewSearchAttributeKeyKeyword("RipenOwner")
	AttrOffer    = temporal.NewSearchAttributeKeyKeyword("RipenOffer")
	AttrStage    = temporal.NewSearchAttributeKeyKeyword("RipenStage")
	AttrScore    = temporal.NewSearchAttributeKeyInt64("RipenScore")
	AttrMQN      = temporal.NewSearchAttributeKeyBool("RipenMQN")
)

// SearchAttributes lists every ripen search attribute with its type, for
// registering them on a namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	kw, i, b := enumspb.INDEXED_VALUE_TYPE_KEYWORD, enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_BOOL
	return map[string]enumspb.IndexedValueType{
		"RipenJourney": kw, "RipenCustomer": kw, "RipenOwner": kw, "RipenOffer": kw, "RipenStage": kw,
		"RipenScore": i, "RipenMQN": b,
	}
}

// StartSearchAttributes are the attributes a starter sets on a new run.
func StartSearchAttributes(journeyID, customerID, offerKind string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		AttrJourney.ValueSet(journeyID),
		AttrCustomer.ValueSet(customerID),
		AttrOffer.ValueSet(offerKind),
		AttrStage.ValueSet(StageNurturing),
		AttrScore.ValueSet(0),
		AttrMQN.ValueSet(false),
	)
}

// published remembers what was last upserted, so unchanged values cost no
// history events.
type published struct {
	owner string
	stage string
	score int64
	mqn   bool
	set   bool
}

// publish upserts the search attributes that changed since the last call.
func (r *run) publish() {
	st := r.st
	score := int64(math.Round(st.Score))
	var updates []temporal.SearchAttributeUpdate
	p := &r.published
	if !p.set || p.owner != st.OwnerID {
		if st.OwnerID != "" {
			updates = append(updates, AttrOwner.ValueSet(st.OwnerID))
		}
		p.owner = st.OwnerID
	}
	if !p.set || p.stage != st.Stage {
		updates = append(updates, AttrStage.ValueSet(st.Stage))
		p.stage = st.Stage
	}
	if !p.set || p.score != score {
		updates = append(updates, AttrScore.ValueSet(score))
		p.score = score
	}
	if !p.set || p.mqn != st.MQN {
		updates = append(updates, AttrMQN.ValueSet(st.MQN))
		p.mqn = st.MQN
	}
	p.set = true
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(r.ctx, updates...); err != nil {
		workflow.GetLogger(r.ctx).Warn("upsert search attributes", "error", err)
	}
}
