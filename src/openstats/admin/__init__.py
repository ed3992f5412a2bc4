"""Publishing: sign-in, roles, drafts and uploads, screening reports, approval, audit."""
