"""A class on one server: each learner's snapshot (`lab submit`) and the teacher's report of a
folder of them (`lab class report`). Files only: logins and groups stay the server's business."""
