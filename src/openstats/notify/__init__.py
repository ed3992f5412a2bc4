"""Telling people when a release becomes public: webhooks and email alerts.

Release events and the outbox are written by the catalogue (catalogue/events.py,
catalogue/outbox.py) in the transaction that records a release as published; this
package sends what the outbox holds (deliver.py), over HTTP (webhook_post.py) and SMTP
(mail.py), and holds the services people use to add webhooks and subscribe (manage.py).
Sending happens after publishing, never inside it: a slow or failing receiver can delay
only its own delivery.
"""
