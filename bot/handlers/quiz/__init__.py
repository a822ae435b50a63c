"""Self-check quizzes on learning materials (/quiz), and their editing by admins."""
