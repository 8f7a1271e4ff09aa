package i18n

import "fmt"

// T is the text under key in lang, with args filled in as fmt.Sprintf does.
// A language ripen does not speak gets English. A key no catalogue knows
// comes back as the key itself, so a typo shows on the page instead of an
// empty line; TestCataloguesMatch keeps the two catalogues' keys and verbs
// the same.
func T(lang Lang, key string, args ...any) string {
	f, ok := catalogue[lang][key]
	if !ok {
		if f, ok = catalogue[English][key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// OfferLabel names a fast-lane offer ("demo") as a call to action, for the
// links in an email and the page they open. An offer without a label is
// shown by its name.
func OfferLabel(offer string, lang Lang) string {
	if _, ok := catalogue[English]["offer."+offer]; !ok {
		return offer
	}
	return T(lang, "offer."+offer)
}

// catalogue is every text by language and key. Keys are grouped by where
// the text appears: "email." in the footer of every email to a contact,
// "offer." the fast-lane offers (see OfferLabel), "handoff." the email to
// the account owner, and the rest the public pages.
var catalogue = map[Lang]map[string]string{
	English: {
		"email.unsubscribe": "Unsubscribe",

		"offer.consultation":        "Book a consultation",
		"offer.demo":                "Book a demo",
		"offer.price-indication":    "Get a price indication",
		"offer.checklist":           "Get the checklist",
		"offer.implementation-note": "Get an implementation note",

		"handoff.subject":          "%s is ready: %s",
		"handoff.subject.offer":    "%s is ready: %s (%s)",
		"handoff.subject.reminder": "Reminder: %s is waiting for your answer",
		"handoff.ready":            "A customer of yours is ready to talk.",
		"handoff.reminder":         "Reminder %d:",
		"handoff.reminder.waiting": "still waiting for your answer.",
		"handoff.customer":         "Customer",
		"handoff.journey":          "Journey",
		"handoff.why":              "Why now",
		"handoff.note":             "Their note",
		"handoff.score":            "Score",
		"handoff.due":              "Answer by",
		"handoff.engagements":      "What they read and did",
		"handoff.sends":            "What we sent",
		"handoff.trail":            "Score over time",
		"handoff.did.content.step": "%s on “%s” (step %s)",
		"handoff.did.content":      "%s on “%s”",
		"handoff.did.step":         "%s on the email of step %s",
		"handoff.did.topic":        "%s, topic %s",
		"handoff.did.points":       "%s: %s, +%g points",
		"handoff.sent":             "%s: “%s” (step %s)",
		"handoff.answer.link":      "Answer the hand-off",
		"handoff.answer.outcomes":  "(accepted, won, lost, rejected or not ready)",
		"handoff.run.link":         "See the journey in Temporal",
		"handoff.answer":           "Answer",
		"handoff.run":              "Journey in Temporal",
		"runless.subject":          "%s asks for %s",
		"runless.intro":            "A contact of this customer asked for sales, and none of the customer's running journeys offers it: the request is yours.",
		"runless.contact":          "Who asked",
		"runless.offer":            "What they asked for",
		"runless.unknown.contact":  "(a contact no longer on file)",
		"enrol.subject":            "%s entered %s: call them now?",
		"enrol.intro":              "The detector just enrolled this account. Nobody has asked for sales yet, but the rep may call at once.",
		"enrol.customer":           "Customer",
		"enrol.journey":            "Journey",
		"enrol.offer":              "Offer",
		"enrol.events":             "What enrolled them",
		"enrol.event":              "%s, %s: %s",
		"enrol.contact.unknown":    "a contact (%s)",
		"enrol.contact.none":       "someone at the account",
		"enrol.run.link":           "See the journey in Temporal",

		"hello.name":              "Hello %s,",
		"owner.unknown":           "your account team",
		"fastlane.intro":          "Please confirm your request below. %s will then get in touch with you personally.",
		"fastlane.note":           "Anything we should know? (optional)",
		"fastlane.note.hint":      "For example a good time to call. Up to %d characters.",
		"fastlane.note.long":      "Please shorten your note to at most %d characters.",
		"fastlane.submit":         "Confirm request",
		"fastlane.gone.title":     "This request can no longer be sent here",
		"fastlane.gone":           "This offer is no longer active. Please contact %s directly; we will be glad to help.",
		"thanks.title":            "Thank you!",
		"thanks.body":             "%s has received your request (%s) and will get in touch with you soon.",
		"unsubscribe.title":       "Unsubscribe",
		"unsubscribe.ask":         "Do you want to stop receiving these emails?",
		"unsubscribe.ask.email":   "Do you want to stop receiving these emails at %s?",
		"unsubscribe.submit":      "Unsubscribe",
		"unsubscribed.title":      "You are unsubscribed",
		"unsubscribed.body":       "You will receive no more of these emails.",
		"unsubscribed.body.email": "We will send no more of these emails to %s.",
		"notfound.title":          "This link is not valid",
		"notfound.body":           "The link may have been copied incompletely. Please open it again from the email, or reply to the email if you need help.",
		"expired.title":           "This link has expired",
		"expired.body":            "For your security, links in our emails work for a limited time only. Please contact %s directly; we will be glad to help.",
		"forbidden.title":         "This form could not be sent",
		"forbidden.body":          "The page was open for too long or the form did not come from our page. Please reload the page and try again.",
		"forbidden.reload":        "Reload the page",
		"badform.title":           "This form could not be read",
		"badform.body":            "Please go back, reload the page and try again.",
		"error.title":             "Something went wrong",
		"error.body":              "Your request could not be completed right now. Please try again in a few minutes.",
	},
	German: {
		"email.unsubscribe": "Abmelden",

		"offer.consultation":        "Beratung vereinbaren",
		"offer.demo":                "Demo vereinbaren",
		"offer.price-indication":    "Preisindikation anfragen",
		"offer.checklist":           "Checkliste anfordern",
		"offer.implementation-note": "Umsetzungshinweis anfordern",

		"handoff.subject":          "%s ist bereit: %s",
		"handoff.subject.offer":    "%s ist bereit: %s (%s)",
		"handoff.subject.reminder": "Erinnerung: %s wartet auf Ihre Antwort",
		"handoff.ready":            "Ein Kunde von Ihnen ist bereit für ein Gespräch.",
		"handoff.reminder":         "Erinnerung %d:",
		"handoff.reminder.waiting": "Ihre Antwort steht noch aus.",
		"handoff.customer":         "Kunde",
		"handoff.journey":          "Journey",
		"handoff.why":              "Warum jetzt",
		"handoff.note":             "Notiz des Kunden",
		"handoff.score":            "Score",
		"handoff.due":              "Antwort bis",
		"handoff.engagements":      "Was gelesen und getan wurde",
		"handoff.sends":            "Was wir gesendet haben",
		"handoff.trail":            "Score im Zeitverlauf",
		"handoff.did.content.step": "%s zu „%s“ (Schritt %s)",
		"handoff.did.content":      "%s zu „%s“",
		"handoff.did.step":         "%s zur E-Mail von Schritt %s",
		"handoff.did.topic":        "%s, Thema %s",
		"handoff.did.points":       "%s: %s, +%g Punkte",
		"handoff.sent":             "%s: „%s“ (Schritt %s)",
		"handoff.answer.link":      "Hand-off beantworten",
		"handoff.answer.outcomes":  "(angenommen, gewonnen, verloren, abgelehnt oder noch nicht bereit)",
		"handoff.run.link":         "Journey in Temporal ansehen",
		"handoff.answer":           "Antwort",
		"handoff.run":              "Journey in Temporal",
		"runless.subject":          "%s fragt an: %s",
		"runless.intro":            "Ein Kontakt dieses Kunden hat nach dem Vertrieb gefragt, und keine laufende Journey des Kunden bietet das an: Die Anfrage gehört Ihnen.",
		"runless.contact":          "Wer gefragt hat",
		"runless.offer":            "Angefragt",
		"runless.unknown.contact":  "(ein Kontakt, der nicht mehr erfasst ist)",
		"enrol.subject":            "%s ist in %s aufgenommen: gleich anrufen?",
		"enrol.intro":              "Der Detektor hat diesen Account gerade aufgenommen. Noch hat niemand nach dem Vertrieb gefragt, aber Sie können sofort anrufen.",
		"enrol.customer":           "Kunde",
		"enrol.journey":            "Journey",
		"enrol.offer":              "Angebot",
		"enrol.events":             "Was zur Aufnahme führte",
		"enrol.event":              "%s, %s: %s",
		"enrol.contact.unknown":    "ein Kontakt (%s)",
		"enrol.contact.none":       "jemand beim Account",
		"enrol.run.link":           "Journey in Temporal ansehen",

		"hello.name":              "Hallo %s,",
		"owner.unknown":           "Ihr Vertriebsteam",
		"fastlane.intro":          "Bitte bestätigen Sie Ihre Anfrage. %s meldet sich dann persönlich bei Ihnen.",
		"fastlane.note":           "Möchten Sie uns noch etwas mitteilen? (optional)",
		"fastlane.note.hint":      "Zum Beispiel, wann wir Sie gut erreichen. Höchstens %d Zeichen.",
		"fastlane.note.long":      "Bitte kürzen Sie Ihre Nachricht auf höchstens %d Zeichen.",
		"fastlane.submit":         "Anfrage bestätigen",
		"fastlane.gone.title":     "Diese Anfrage ist hier nicht mehr möglich",
		"fastlane.gone":           "Dieses Angebot ist nicht mehr aktiv. Bitte wenden Sie sich direkt an %s; wir helfen Ihnen gern.",
		"thanks.title":            "Vielen Dank!",
		"thanks.body":             "%s hat Ihre Anfrage (%s) erhalten und meldet sich in Kürze bei Ihnen.",
		"unsubscribe.title":       "Abmelden",
		"unsubscribe.ask":         "Möchten Sie diese E-Mails nicht mehr erhalten?",
		"unsubscribe.ask.email":   "Möchten Sie diese E-Mails an %s nicht mehr erhalten?",
		"unsubscribe.submit":      "Abmelden",
		"unsubscribed.title":      "Sie sind abgemeldet",
		"unsubscribed.body":       "Sie erhalten diese E-Mails nicht mehr.",
		"unsubscribed.body.email": "Wir senden keine dieser E-Mails mehr an %s.",
		"notfound.title":          "Dieser Link ist ungültig",
		"notfound.body":           "Vielleicht wurde der Link unvollständig kopiert. Bitte öffnen Sie ihn erneut aus der E-Mail, oder antworten Sie auf die E-Mail, wenn Sie Hilfe brauchen.",
		"expired.title":           "Dieser Link ist abgelaufen",
		"expired.body":            "Zu Ihrer Sicherheit gelten Links in unseren E-Mails nur eine begrenzte Zeit. Bitte wenden Sie sich direkt an %s; wir helfen Ihnen gern.",
		"forbidden.title":         "Das Formular konnte nicht gesendet werden",
		"forbidden.body":          "Die Seite war zu lange geöffnet, oder das Formular kam nicht von unserer Seite. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"forbidden.reload":        "Seite neu laden",
		"badform.title":           "Das Formular konnte nicht gelesen werden",
		"badform.body":            "Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"error.title":             "Etwas ist schiefgegangen",
		"error.body":              "Ihre Anfrage konnte gerade nicht bearbeitet werden. Bitte versuchen Sie es in einigen Minuten noch einmal.",
	},
}
