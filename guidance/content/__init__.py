"""The guideline's content: its models, the revision workflow (draft, review, publish), the
loader of the seed content, the editors' admin and the text diff reviewers read."""
