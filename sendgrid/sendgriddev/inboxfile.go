package sendgriddev

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The inbox file keeps the inbox across restarts. The dev stack keeps its
// runs across restarts (Temporal's database is a file), so without it a
// restart would leave runs waiting on emails that no longer exist, with
// links nobody can follow.

// inboxFileVersion is the format of the inbox file; a file of another
// format is refused rather than misread.
const inboxFileVersion = 1

// saveEvery is the least time between two writes of the inbox file, so that
// a burst of sends and their events costs one write.
const saveEvery = 250 * time.Millisecond

// errNotPosted marks, at start-up, the events a stopped server had made but
// could not post anymore.
var errNotPosted = errors.New("not posted: the server stopped first")

type inboxFile struct {
	Version  int            `json:"version"`
	Messages []savedMessage `json:"messages"`
}

type savedMessage struct {
	Message    Message          `json:"message"`
	Recipients []savedRecipient `json:"recipients"`
}

type savedRecipient struct {
	Email       string            `json:"email"`
	SGMessageID string            `json:"sg_message_id"`
	CustomArgs  map[string]string `json:"custom_args,omitempty"`
}

// readInbox reads an inbox file; a missing file is an empty inbox.
func readInbox(path string) ([]stored, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sendgrid-dev: read inbox file: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sendgrid-dev: inbox file %s: %s (move it away to start with an empty inbox)", path, fmt.Sprintf(format, args...))
	}
	var f inboxFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, bad("%v", err)
	}
	if f.Version != inboxFileVersion {
		return nil, bad("format version %d, want %d", f.Version, inboxFileVersion)
	}
	out := make([]stored, 0, len(f.Messages))
	for i, m := range f.Messages {
		// Events are made for a message's recipients; one without any
		// would break them.
		if m.Message.MessageID == "" || len(m.Recipients) == 0 {
			return nil, bad("message %d has no message_id or no recipients", i)
		}
		st := stored{msg: copyMessage(m.Message)}
		for _, rc := range m.Recipients {
			st.recipients = append(st.recipients, recipient{email: rc.Email, sgMessageID: rc.SGMessageID, customArgs: rc.CustomArgs})
		}
		out = append(out, st)
	}
	return out, nil
}

// writeInbox replaces the inbox file at once: it writes a temporary file
// next to it and renames it over the old one, so that a crash leaves the
// old inbox or the new one, never half of one.
func writeInbox(path string, msgs []stored) error {
	f := inboxFile{Version: inboxFileVersion, Messages: make([]savedMessage, len(msgs))}
	for i, st := range msgs {
		sm := savedMessage{Message: st.msg, Recipients: make([]savedRecipient, len(st.recipients))}
		for j, rc := range st.recipients {
			sm.Recipients[j] = savedRecipient{Email: rc.email, SGMessageID: rc.sgMessageID, CustomArgs: rc.customArgs}
		}
		f.Messages[i] = sm
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode inbox: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write inbox file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write inbox file: %w", err)
	}
	return nil
}

// load puts messages read from the inbox file into an empty store, keeping
// the newest max.
func (s *store) load(msgs []stored) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if over := len(msgs) - s.max; over > 0 {
		msgs = msgs[over:]
	}
	for i := range msgs {
		m := &msgs[i]
		s.order = append(s.order, m.msg.MessageID)
		s.byID[m.msg.MessageID] = m
	}
}

// inboxChanged has the inbox file written: soon by saveLoop, or at once
// after Close, when saveLoop has ended.
func (s *Server) inboxChanged() {
	if s.ctx.Err() != nil {
		s.saveInbox()
		return
	}
	select {
	case s.dirty <- struct{}{}:
	default: // a write is due already
	}
}

// saveLoop writes the inbox file after changes, at most once per saveEvery,
// and a last time at Close.
func (s *Server) saveLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			s.saveInbox()
			return
		case <-s.dirty:
		}
		took := s.saveInbox()
		// A large inbox takes long to write; it is then written less often
		// rather than all the time.
		if !s.sleepUntil(time.Now().Add(max(saveEvery, 10*took))) {
			s.saveInbox()
			return
		}
	}
}

// saveInbox writes the inbox file and returns how long that took. Writes
// are serialised so that an older inbox never replaces a newer one.
func (s *Server) saveInbox() time.Duration {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	start := time.Now()
	if err := writeInbox(s.opts.InboxFile, s.store.snapshot()); err != nil {
		s.log.Error().Err(err).Str("file", s.opts.InboxFile).Msg("inbox not saved")
	}
	return time.Since(start)
}

// resumeEvents deals with the events that a loaded inbox's server had made
// but not posted when it stopped. Delivered events, posted in the
// background, are posted now with their first ID and time, so the app
// learns of the delivery once (it deduplicates by sg_event_id, should one
// have arrived after all). Simulated events were posted while their request
// waited, which the stop ended; they are marked as not posted.
func (s *Server) resumeEvents() {
	var batch delivery
	flush := func() {
		if len(batch.events) == 0 {
			return
		}
		select {
		case s.queue <- batch:
		default:
			for _, ref := range batch.refs {
				s.store.markEvent(ref.messageID, ref.sgEventID, errNotPosted)
			}
		}
		batch = delivery{}
	}
	for _, st := range s.store.snapshot() {
		for _, ev := range st.msg.Events {
			if ev.Posted || ev.Error != "" {
				continue
			}
			i := slices.IndexFunc(st.recipients, func(rc recipient) bool { return rc.email == ev.Email })
			if ev.Event != "delivered" || s.opts.WebhookURL == "" || i < 0 {
				s.store.markEvent(st.msg.MessageID, ev.SGEventID, errNotPosted)
				continue
			}
			payload := eventPayload(st.msg, st.recipients[i], EventRequest{Type: ev.Event}, ev.At, ev.SGEventID)
			batch.add(st.msg.MessageID, payload, ev)
			if len(batch.events) == maxBatch {
				flush()
			}
		}
	}
	flush()
}
