package sendgriddev

import (
	"slices"
	"sync"
	"time"
)

// Message is one accepted mail send as the inbox and GET /api/messages show
// it. A request with several personalizations is one Message: To lists every
// recipient, and Subject, Headers and CustomArgs merge the message-wide
// values with the first personalization's, as most of ripen's mail has one.
type Message struct {
	MessageID    string            `json:"message_id"`
	From         string            `json:"from"`
	FromName     string            `json:"from_name,omitempty"`
	ReplyTo      string            `json:"reply_to,omitempty"`
	To           []string          `json:"to"`
	CC           []string          `json:"cc,omitempty"`
	BCC          []string          `json:"bcc,omitempty"`
	Subject      string            `json:"subject"`
	HTML         string            `json:"html"`
	Text         string            `json:"text"`
	Headers      map[string]string `json:"headers"`
	CustomArgs   map[string]string `json:"custom_args"`
	Categories   []string          `json:"categories"`
	TemplateID   string            `json:"template_id"`
	TemplateData map[string]any    `json:"template_data,omitempty"`
	ASMGroupID   int               `json:"asm_group_id,omitempty"`
	ReceivedAt   time.Time         `json:"received_at"`
	// Events are the webhook events made for this message so far.
	Events []WebhookEvent `json:"events"`
}

// WebhookEvent is one Event Webhook event made for a message and whether
// the webhook took it.
type WebhookEvent struct {
	Event     string    `json:"event"`
	SGEventID string    `json:"sg_event_id"`
	Email     string    `json:"email"`
	URL       string    `json:"url,omitempty"`
	At        time.Time `json:"at"`
	// Posted is true once the webhook answered 2xx.
	Posted bool `json:"posted"`
	// Error is the last failure to post it, if any.
	Error string `json:"error,omitempty"`
}

// recipient is one address of a message with what its events carry.
type recipient struct {
	email       string
	sgMessageID string
	customArgs  map[string]string
}

// stored is a Message with what the server needs to make its events.
type stored struct {
	msg        Message
	recipients []recipient
}

// store keeps the newest max messages.
type store struct {
	mu    sync.Mutex
	max   int
	order []string // message IDs, oldest first
	byID  map[string]*stored
	// changed, if set, is called (without mu held) after every change, so
	// that the inbox file is written.
	changed func()
}

func newStore(max int) *store {
	return &store{max: max, byID: make(map[string]*stored)}
}

// unlock releases mu after a change and reports it.
func (s *store) unlock() {
	s.mu.Unlock()
	if s.changed != nil {
		s.changed()
	}
}

func (s *store) add(m *stored) {
	s.mu.Lock()
	defer s.unlock()
	s.order = append(s.order, m.msg.MessageID)
	s.byID[m.msg.MessageID] = m
	if over := len(s.order) - s.max; over > 0 {
		for _, id := range s.order[:over] {
			delete(s.byID, id)
		}
		s.order = slices.Delete(s.order, 0, over)
	}
}

// snapshot returns copies of the kept messages, oldest first, with what
// their events need.
func (s *store) snapshot() []stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]stored, 0, len(s.order))
	for _, id := range s.order {
		m := s.byID[id]
		out = append(out, stored{msg: copyMessage(m.msg), recipients: m.recipients})
	}
	return out
}

// list returns copies of the messages, oldest first.
func (s *store) list() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, copyMessage(s.byID[id].msg))
	}
	return out
}

// get returns a copy of one message and its recipients.
func (s *store) get(id string) (Message, []recipient, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byID[id]
	if !ok {
		return Message{}, nil, false
	}
	return copyMessage(m.msg), m.recipients, true
}

func (s *store) clear() {
	s.mu.Lock()
	defer s.unlock()
	s.order = nil
	s.byID = make(map[string]*stored)
}

// addEvent records an event made for a message, if it is still kept.
func (s *store) addEvent(messageID string, ev WebhookEvent) {
	s.mu.Lock()
	defer s.unlock()
	if m, ok := s.byID[messageID]; ok {
		m.msg.Events = append(m.msg.Events, ev)
	}
}

// markEvent records the outcome of posting an event.
func (s *store) markEvent(messageID, sgEventID string, postErr error) {
	s.mu.Lock()
	defer s.unlock()
	m, ok := s.byID[messageID]
	if !ok {
		return
	}
	for i := range m.msg.Events {
		ev := &m.msg.Events[i]
		if ev.SGEventID != sgEventID {
			continue
		}
		ev.Posted = postErr == nil
		ev.Error = ""
		if postErr != nil {
			ev.Error = postErr.Error()
		}
	}
}

// copyMessage copies the parts of m that change after it is stored. Maps and
// the other slices are never changed once stored.
func copyMessage(m Message) Message {
	m.Events = slices.Clone(m.Events)
	if m.Events == nil {
		m.Events = []WebhookEvent{}
	}
	return m
}
