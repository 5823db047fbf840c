FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN mkdir -p var && DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput --verbosity 0
EXPOSE 8000
CMD ["gunicorn", "activesupport.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
