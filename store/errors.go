package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Kinds of errors callers tell apart with errors.Is. Every *Error matches
// exactly one of them.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid")
)

// Error says which record failed and why. Kind is ErrNotFound, ErrConflict or
// ErrInvalid; Field, when set, names the offending field in the record's JSON
// terms (e.g. "owner.email", "contacts[1].timezone"); Err is the cause, if
// any (often a *pgconn.PgError).
type Error struct {
	Kind   error
	Record string
	ID     string
	Field  string
	Msg    string
	Err    error
}

// Error reads like `customer "acme": invalid owner.email: must be an email address`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Record)
	if e.ID != "" {
		fmt.Fprintf(&b, " %q", e.ID)
	}
	if e.Kind == ErrNotFound && e.Field == "" && e.Msg == "" {
		b.WriteString(" not found")
		return b.String()
	}
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	if e.Field != "" {
		b.WriteString(" ")
		b.WriteString(e.Field)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Is reports whether target is the error's kind.
func (e *Error) Is(target error) bool { return target != nil && target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func notFound(record, id string) error {
	return &Error{Kind: ErrNotFound, Record: record, ID: id}
}

func invalid(record, id, field, msg string) error {
	return &Error{Kind: ErrInvalid, Record: record, ID: id, Field: field, Msg: msg}
}

func conflict(record, id, field, msg string) error {
	return &Error{Kind: ErrConflict, Record: record, ID: id, Field: field, Msg: msg}
}

// constraint explains a schema constraint to a user: the field it guards and
// what it requires.
type constraint struct {
	field string
	msg   string
}

const (
	idRule    = "must be 1 to 200 characters without '/' or whitespace"
	emailRule = "must be an email address"
)

// constraints maps every named constraint and unique index in the schema to
// its explanation. TestEveryConstraintIsExplained keeps it complete.
var constraints = map[string]constraint{
	"owners_pkey":        {"id", "already exists"},
	"owners_id_check":    {"id", idRule},
	"owners_email_check": {"email", emailRule},

	"personas_pkey":       {"id", "already exists"},
	"personas_id_check":   {"id", idRule},
	"personas_name_check": {"name", "is required"},

	"customers_pkey":            {"id", "already exists"},
	"customers_id_check":        {"id", idRule},
	"customers_name_check":      {"name", "is required"},
	"customers_owner_id_fkey":   {"owner.id", "unknown account owner"},
	"customers_persona_id_fkey": {"persona", "unknown persona"},

	"contacts_pkey":             {"id", "already exists"},
	"contacts_id_check":         {"id", idRule},
	"contacts_email_check":      {"email", emailRule},
	"contacts_customer_id_fkey": {"customer_id", "unknown customer"},
	"contacts_persona_id_fkey":  {"persona", "unknown persona"},

	"customer_products_pkey":             {"products", "lists a product twice"},
	"customer_products_product_check":    {"products", "a product ID " + idRule},
	"customer_products_renews_at_check":  {"products", "renews_at must not be before since"},
	"customer_products_customer_id_fkey": {"customer_id", "unknown customer"},
	"customer_products_product_fkey":     {"products", "names a product the catalogue lacks"},

	"products_pkey":              {"id", "already exists"},
	"products_id_check":          {"id", idRule},
	"products_name_check":        {"name", "is required, at most 200 characters"},
	"products_description_check": {"description", "at most 2000 characters"},

	"renewal_enrolments_pkey":             {"renews_at", "this renewal is claimed already"},
	"renewal_enrolments_journey_id_fkey":  {"journey_id", "unknown journey"},
	"renewal_enrolments_customer_id_fkey": {"customer_id", "unknown customer"},
	"renewal_enrolments_status_check":     {"status", "must be an enrolment result or pending"},

	"experiment_arms_pkey":             {"step_id", "the account took an arm here already"},
	"experiment_arms_journey_id_fkey":  {"journey_id", "unknown journey"},
	"experiment_arms_customer_id_fkey": {"customer_id", "unknown customer"},
	"experiment_arms_step_id_check":    {"step_id", "is required"},
	"experiment_arms_arm_check":        {"arm", "is required"},
	"experiment_arms_version_check":    {"version", "must be at least 1"},
	"run_touches_pkey":                 {"type", "the run's first touch of this content is kept already"},
	"run_touches_content_id_check":     {"content_id", "is required"},
	"run_touches_type_check":           {"type", "must be open or click"},
	"sites_pkey":                       {"id", "a site with this id exists"},
	"sites_id_check":                   {"id", "must be 1 to 200 characters without '/' or whitespace"},
	"sites_origins_check":              {"origins", "at least one origin is required"},
	"sites_topics_check":               {"topics", "must be a list of rules"},
	"sites_consent_check":              {"consent", "must be required or implied"},
	"web_visitors_pkey":                {"visitor", "the visitor is known already"},
	"web_visitors_site_id_fkey":        {"site", "unknown site"},
	"web_visitors_visitor_id_check":    {"visitor", "must be 16 to 64 letters, digits, - or _"},
	"web_visitors_customer_id_fkey":    {"customer_id", "unknown customer"},
	"web_views_pkey":                   {"id", "the view is kept already"},
	"web_views_site_id_fkey":           {"site", "unknown site"},
	"web_views_kind_check":             {"kind", "must be visit or download"},
	"web_views_page_check":             {"url", "must be 1 to 2100 characters"},
	"web_claims_pkey":                  {"email", "the claim is stored already"},
	"web_claims_site_id_fkey":          {"site", "unknown site"},
	"web_claims_visitor_id_check":      {"visitor", "must be 16 to 64 letters, digits, - or _"},
	"web_claims_customer_id_fkey":      {"customer_id", "unknown customer"},

	"content_variants_pkey":            {"variants", "lists a position twice"},
	"content_variants_content_id_fkey": {"id", "unknown content"},
	"content_variants_persona_id_fkey": {"variants.persona", "unknown persona"},
	"content_variants_target_check":    {"variants", "a variant needs a persona, a locale or both"},
	"content_variants_email_check":     {"variants.email", "needs a template_id, or a subject and an html or text body"},
	"content_variants_key":             {"variants", "two variants are for the same persona and locale"},

	"content_pkey":                      {"id", "already exists"},
	"content_id_check":                  {"id", idRule},
	"content_title_check":               {"title", "is required"},
	"content_topic_check":               {"topic", "is required"},
	"content_url_check":                 {"url", "must be an http or https URL"},
	"content_email_check":               {"email", "needs a template_id, or a subject and an html or text body"},
	"content_personas_pkey":             {"personas", "lists a persona twice"},
	"content_personas_content_id_fkey":  {"id", "unknown content"},
	"content_personas_persona_id_fkey":  {"personas", "unknown persona"},
	"journeys_pkey":                     {"id", "already exists"},
	"journeys_id_check":                 {"id", idRule},
	"journeys_latest_version_check":     {"version", "must be positive"},
	"journey_versions_pkey":             {"version", "already exists"},
	"journey_versions_journey_id_fkey":  {"id", "unknown journey"},
	"journey_versions_version_check":    {"version", "must be positive"},
	"journey_versions_status_check":     {"status", "must be draft or published"},
	"journey_versions_definition_check": {"definition", "must be a JSON object"},
	"journey_versions_definition_id_check": {"definition.id",
		"must match the journey ID"},
	"journey_versions_offer_kind_check": {"definition.offer.kind",
		"must be repeat, upsell or cross-sell"},
	"journey_versions_published_at_check": {"published_at", "is set exactly when published"},
	"journey_versions_immutable":          {"version", "journey versions are immutable once published"},

	"runs_pkey":                    {"workflow_id", "already exists"},
	"runs_workflow_id_check":       {"workflow_id", "is required"},
	"runs_customer_id_fkey":        {"customer_id", "unknown customer"},
	"runs_owner_id_fkey":           {"owner_id", "unknown account owner"},
	"runs_journey_id_version_fkey": {"version", "unknown journey version"},
	"runs_status_check": {"status",
		"must be running, completed, failed, canceled, terminated or timed-out"},
	"runs_stage_check": {"stage",
		"must be nurturing, handoff, cooldown, paused or done"},
	"runs_score_check":    {"score", "must not be negative"},
	"runs_cycle_check":    {"cycle", "must not be negative"},
	"runs_ended_at_check": {"ended_at", "is set exactly when the run is no longer running, not before started_at"},

	"ended_runs_pkey":                    {"started_at", "the run is kept already"},
	"ended_runs_workflow_id_check":       {"workflow_id", "is required"},
	"ended_runs_customer_id_fkey":        {"customer_id", "unknown customer"},
	"ended_runs_owner_id_fkey":           {"owner_id", "unknown account owner"},
	"ended_runs_journey_id_version_fkey": {"version", "unknown journey version"},
	"ended_runs_status_check": {"status",
		"must be completed, failed, canceled, terminated, timed-out or unrecorded"},
	"ended_runs_stage_check": {"stage",
		"must be nurturing, handoff, cooldown, paused or done"},
	"ended_runs_score_check":    {"score", "must not be negative"},
	"ended_runs_cycle_check":    {"cycle", "must not be negative"},
	"ended_runs_ended_at_check": {"ended_at", "must not be before started_at"},

	"events_pkey":             {"id", "already exists"},
	"events_id_check":         {"id", "must be 1 to 200 characters"},
	"events_customer_id_fkey": {"customer_id", "unknown customer"},
	"events_type_check":       {"type", "must be one of " + strings.Join(EventTypes, ", ")},
	"events_note_check":       {"note", "must be at most 4000 characters"},
	"events_source_check":     {"source", "must be a lower-case word of at most 32 letters, digits, - or _"},
	"events_product_check": {"product",
		"an order names its product (" + idRule + "); other events name none"},

	"api_keys_owner_id_fkey":        {"owner", "unknown account owner"},
	"api_keys_owner_role_check":     {"owner", "only a sales key can be bound to an account owner"},
	"link_fetches_pkey":             {"id", "already exists"},
	"link_fetches_customer_id_fkey": {"customer_id", "unknown customer"},
	"link_fetches_link_check":       {"link", "is required"},
	"link_fetches_reason_check":     {"reason", "must be head, prefetch, agent, trap, scanned or burst for a machine's fetch, and empty for a person's"},
	"suppressions_pkey":             {"email", "already suppressed"},
	"suppressions_email_check":      {"email", emailRule},
	"suppressions_reason_check":     {"reason", "is required"},

	"webhook_events_pkey":     {"id", "already seen"},
	"webhook_events_id_check": {"id", "is required"},

	"webhooks_pkey":                      {"id", "already exists"},
	"webhooks_id_check":                  {"id", "must be 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit"},
	"webhooks_url_check":                 {"url", "must be an http or https URL"},
	"webhooks_events_check":              {"events", "must list one or more of " + strings.Join(OutboundEventTypes, ", ")},
	"webhooks_format_check":              {"format", "must be standard or slack"},
	"webhooks_secret_check":              {"secret", "must be whsec_ and the base64 of at least 12 bytes"},
	"outbound_events_pkey":               {"id", "already exists"},
	"outbound_events_type_check":         {"type", "must be one of " + strings.Join(OutboundEventTypes, ", ")},
	"webhook_deliveries_pkey":            {"id", "already exists"},
	"webhook_deliveries_webhook_id_fkey": {"webhook_id", "unknown webhook (deleted?)"},
	"webhook_deliveries_event_id_fkey":   {"event_id", "unknown outbound event"},

	"handoffs_pkey":              {"id", "already exists"},
	"handoffs_id_check":          {"id", "is required"},
	"handoffs_run_key_check":     {"run_key", "is required"},
	"handoffs_workflow_id_check": {"workflow_id", "is required"},
	"handoffs_journey_id_fkey":   {"journey_id", "unknown journey"},
	"handoffs_customer_id_fkey":  {"customer_id", "unknown customer"},
	"handoffs_owner_id_fkey":     {"owner_id", "unknown account owner"},
	"handoffs_cycle_check":       {"cycle", "must not be negative"},
	"handoffs_reason_check":      {"reason", "must be score or fast-lane"},
	"handoffs_score_check":       {"score", "must not be negative"},
	"handoffs_status_check": {"status",
		"must be open, accepted, won, lost, rejected, not-ready or withdrawn"},
	"handoffs_closed_at_check":              {"closed_at", "is set exactly when the hand-off is closed"},
	"handoffs_feedback_check":               {"feedback", "must be the outcome of an answered hand-off"},
	"handoffs_run_key_cycle_key":            {"cycle", "the run already has a hand-off in this cycle"},
	"handoffs_run_key_cycle_escalation_key": {"escalation", "the run already has this hand-off of the cycle"},
	"handoffs_escalation_check":             {"escalation", "must be 1 or more"},
	"handoffs_answer_check":                 {"answer", "must be one of accepted, won, lost, rejected, not-ready"},
	"handoffs_answered_at_check":            {"answered_at", "is set exactly when the hand-off has an answer"},
	"handoffs_one_open_per_run":             {"run_key", "the run already has an open hand-off"},
	"handoffs_event_id_check":               {"event_id", "must not be empty"},
	"handoffs_event_id_key":                 {"event_id", "the fast-lane event already has a hand-off"},
	"handoffs_run_or_event_check":           {"event_id", "a hand-off has a run (run_key, workflow_id, journey_id) or a fast-lane event, not both"},
	"handoffs_contact_id_fkey":              {"contact_id", "unknown contact"},

	"contacts_phone_check":         {"phone", phoneRule},
	"inbox_signins_pkey":           {"token", "already exists"},
	"inbox_signins_owner_id_fkey":  {"owner_id", "unknown account owner"},
	"inbox_sessions_pkey":          {"token", "already exists"},
	"inbox_sessions_owner_id_fkey": {"owner_id", "unknown account owner"},

	"console_users_pkey":               {"id", "already exists"},
	"console_users_id_check":           {"id", idRule},
	"console_users_email_check":        {"email", emailRule},
	"console_users_name_check":         {"name", "must not contain control characters"},
	"console_users_role_check":         {"role", "must be marketing, sales or admin"},
	"console_users_email_key":          {"email", "another user has this address"},
	"console_signins_pkey":             {"token", "already exists"},
	"console_signins_user_id_fkey":     {"user_id", "unknown user"},
	"console_signins_owner_id_fkey":    {"owner_id", "unknown account owner"},
	"console_signins_subject_check":    {"subject", "must be one user or one account owner"},
	"console_sessions_pkey":            {"token", "already exists"},
	"console_sessions_user_id_fkey":    {"user_id", "unknown user"},
	"console_sessions_owner_id_fkey":   {"owner_id", "unknown account owner"},
	"console_sessions_api_key_id_fkey": {"api_key_id", "unknown API key"},
	"console_sessions_subject_check":   {"subject", "must be one user, account owner or API key"},

	"outbox_pkey":             {"id", "already exists"},
	"outbox_key":              {"step_id", "already claimed for this run, cycle and recipient"},
	"outbox_run_key_check":    {"run_key", "is required"},
	"outbox_step_id_check":    {"step_id", "is required"},
	"outbox_cycle_check":      {"cycle", "must not be negative"},
	"outbox_contact_id_check": {"contact_id", "is required"},
	"outbox_kind_check":       {"kind", "must be content, handoff, reminder or notice"},
	"outbox_handoff_id_check": {"handoff_id", "is required for hand-off and reminder emails, and only for them"},
	"outbox_handoff_id_fkey":  {"handoff_id", "unknown hand-off"},

	"pending_feedback_notes_pkey":              {"outcome", "the run already has a note waiting for this outcome"},
	"pending_feedback_notes_workflow_id_check": {"workflow_id", "is required"},
	"pending_feedback_notes_outcome_check":     {"outcome", "must be one of accepted, won, lost, rejected, not-ready"},
	"pending_feedback_notes_note_check":        {"note", "is required"},
	"outbox_status_check": {"status",
		"must be pending, sent, failed, deferred, delivered, bounced or dropped"},
	"outbox_message_id_key": {"message_id", "belongs to another email"},
	"outbox_sent_check":     {"message_id", "a sent email needs its message ID and time"},

	"api_keys_pkey":         {"id", "already exists"},
	"api_keys_role_check":   {"role", "must be marketing, sales or admin"},
	"api_keys_prefix_check": {"prefix", "must start with rpn_"},
	"api_keys_hash_check":   {"hash", "must be a SHA-256 digest"},
	"api_keys_hash_key":     {"hash", "already exists"},
}

// invalidInput lists unique constraints whose violation is a mistake within
// one request (ErrInvalid) rather than a clash with stored data (ErrConflict).
var invalidInput = map[string]bool{
	"content_personas_pkey":  true,
	"customer_products_pkey": true,
	"content_variants_key":   true,
}

// Postgres error codes the store maps to kinds.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgCheckViolation      = "23514"
	pgNotNullViolation    = "23502"
	pgRestrictViolation   = "23001"
	pgDataExceptionClass  = "22"
	pgInvalidCatalogName  = "3D000" // the database does not exist
	pgDuplicateDatabase   = "42P04"
)

// pgErr turns err into an *Error about record id when it is a pgx no-rows
// error or an integrity or data error from Postgres. Anything else (network,
// cancellation, serialization failures) is wrapped with what was being done
// and stays transient.
func pgErr(op, record, id string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(record, id)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return wrap(op, record, id, err)
	}
	c, known := constraints[pe.ConstraintName]
	e := &Error{Record: record, ID: id, Field: c.field, Msg: c.msg, Err: err}
	switch {
	case pe.Code == pgUniqueViolation || pe.Code == pgRestrictViolation:
		e.Kind = ErrConflict
	case pe.Code == pgForeignKeyViolation || pe.Code == pgCheckViolation:
		e.Kind = ErrInvalid
	case pe.Code == pgNotNullViolation:
		e.Kind, e.Field, e.Msg = ErrInvalid, pe.ColumnName, "is required"
		known = true
	case strings.HasPrefix(pe.Code, pgDataExceptionClass):
		e.Kind, e.Msg = ErrInvalid, pe.Message
		known = true
	default:
		return wrap(op, record, id, err)
	}
	if invalidInput[pe.ConstraintName] {
		e.Kind = ErrInvalid
	}
	if !known {
		e.Field, e.Msg = "", pe.Message
	}
	return e
}

// wrap says what was being done: "store: list personas: …" or
// "store: get customer "acme": …".
func wrap(op, record, id string, err error) error {
	if id == "" {
		return fmt.Errorf("store: %s %s: %w", op, record, err)
	}
	return fmt.Errorf("store: %s %s %q: %w", op, record, id, err)
}

// withField prefixes an *Error's field, e.g. "owner." or "contacts[2].", and
// re-targets it at record id. Other errors pass unchanged.
func withField(err error, prefix, record, id string) error {
	var se *Error
	if !errors.As(err, &se) {
		return err
	}
	out := *se
	if out.Field != "" {
		out.Field = prefix + out.Field
	} else {
		out.Field = strings.TrimSuffix(prefix, ".")
	}
	if record != "" {
		out.Record, out.ID = record, id
	}
	return &out
}
