// Starts GOV.UK Frontend's components (header menu, details, skip link, ...).
import { initAll } from '/static/govuk/govuk-frontend.min.js'

initAll()
