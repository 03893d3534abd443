DROP TABLE assistance_versions;
DROP TABLE assistance_cases;
DROP TABLE assistance;
