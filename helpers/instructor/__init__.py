"""What instructors run: answer keys, their derivation by measurement, grading, the student release.

The student release leaves this whole folder out.
"""
