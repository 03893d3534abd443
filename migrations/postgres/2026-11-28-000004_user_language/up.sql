-- The language a user chose for the pages; none: their browser's.
ALTER TABLE users ADD COLUMN language TEXT;
