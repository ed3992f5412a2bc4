// Starts GOV.UK Frontend's components (header menu, details, skip link, ...), then our own.
import { initAll } from '/static/govuk/govuk-frontend.min.js'
import '/static/app/enhance.js'

initAll()
