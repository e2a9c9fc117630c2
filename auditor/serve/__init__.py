"""The review console (`auditor serve`): a thin web layer over auditor.review.

May import review/, report/ and everything below them; never ops/ or cli/."""
