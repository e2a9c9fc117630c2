"""The review console (`auditor serve`): a thin web layer over auditor.review."""
